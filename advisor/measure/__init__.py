"""Measurements: run benchmarks on candidate platforms and compare them.

* :mod:`advisor.measure.api`: the Probe and Runner protocols, result records;
* :mod:`advisor.measure.hookspecs` and :mod:`advisor.measure.manager`: plugins
  (entry-point group ``advisor.measurements``);
* :mod:`advisor.measure.targets`: the targets file;
* :mod:`advisor.measure.runners`: local (cgroup, pinning, netns), SSH, Kubernetes;
* :mod:`advisor.measure.stats`, :mod:`advisor.measure.session`: interleaved runs,
  log-ratio confidence intervals, sequential stopping;
* :mod:`advisor.measure.results`: the result file and :func:`measured_facts`.

Nothing here prints: progress goes to a callback, warnings are returned.
"""
