"""What the decision engine's pack stands on: the fact catalog and the evidence catalogue.

* :mod:`advisor.rules.catalog`: derived and measured facts, the catalog, docs/facts.md;
* :mod:`advisor.rules.evidence`: the evidence catalogue (rules/evidence.yaml);
* :mod:`advisor.rules.citations`: the rules' citations of it and their one check;
* :mod:`advisor.rules.evidence_reference`: docs/evidence.md.

The format-2 rule pack itself is loaded and decided by :mod:`advisor.decide`. This
package imports only the foundation (errors, yamlio, conditions, validation).
"""
