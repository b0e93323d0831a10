"""The import contracts bite: an import each contract forbids, planted in a copy of the package,
breaks exactly that contract, so a contract that stops enforcing anything is noticed.

The real `lint-imports` runs on a temporary copy of ``advisor/`` with the project's own
configuration (pyproject.toml), once, with one planted import per contract.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: contract name -> (module file, the planted line). Each plant sits where the contract forbids it.
PLANTS: dict[str, tuple[str, str]] = {
    "Layers: entry > orchestration > presentation > record > sensitivity > measurement/decision > analysis "
    "> input > foundation": ("advisor/yamlio/text.py", "from advisor import pipeline"),
    "records: lifecycle > edit > index > diff/check/writing > store > hashing/build > model > naming":
        ("advisor/records/model.py", "from advisor.records import store"),
    "conditions: branches > compile > compiler > functions > types":
        ("advisor/conditions/types.py", "from advisor.conditions import compiler"),
    "yamlio: document/edit/jsontext > fast/roundtrip > text":
        ("advisor/yamlio/fast.py", "from advisor.yamlio import document"),
    "questionnaire: loading > model/table > question":
        ("advisor/questionnaire/question.py", "from advisor.questionnaire import model"),
    "render: record > appendix > body > reasons > text": ("advisor/render/text.py", "from advisor.render import body"),
    "ruamel.yaml only in advisor.yamlio": ("advisor/conditions/compile.py", "import ruamel.yaml"),
    "PyYAML (the C parser of the fast path) only in advisor.yamlio.fast":
        ("advisor/yamlio/roundtrip.py", "import yaml"),
    "questionary and prompt_toolkit only in advisor.prompt": ("advisor/questionnaire/model.py", "import questionary"),
    "networkx only in advisor.faultdomain.graph": ("advisor/portfolio/summary.py", "import networkx"),
    "numpy only in advisor.faultdomain.arrays": ("advisor/sensitivity/search.py", "import numpy"),
    "click only in advisor.cli": ("advisor/pipeline.py", "import click"),
    "pluggy only in advisor.measure (hookspecs and manager)": ("advisor/rules/catalog.py", "import pluggy"),
    "tabulate only in advisor.tables and the CLI": ("advisor/records/index.py", "from tabulate import tabulate"),
    "kubernetes (an optional extra) only in the Kubernetes runner's API adapter and advisor.observe.live":
        ("advisor/observe/dumps.py", "import kubernetes.client"),
    "re2 (linear-time patterns) only in advisor.questionnaire.question":
        ("advisor/questionnaire/loading.py", "import re2"),
    "rich only in advisor.console": ("advisor/render/body.py", "import rich"),
    "msgspec only in advisor.observe.snapshot": ("advisor/observe/dumps.py", "import msgspec"),
    "platformdirs only in advisor.cache": ("advisor/profile/document.py", "import platformdirs"),
    "Analysis siblings: rules and faultdomain do not import each other":
        ("advisor/faultdomain/graph.py", "from advisor.rules import catalog"),
    "advisor.measure stays in the measurement layer: no pipeline, decision engine or cli":
        ("advisor/measure/stats.py", "from advisor import decide"),
}


def _contract_names() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [c["name"] for c in config["tool"]["importlinter"]["contracts"]]


def _lint(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "400"}  # one contract per line, unwrapped
    lint = Path(sys.executable).parent / "lint-imports"
    return subprocess.run([str(lint), "--no-cache"], cwd=where, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_every_contract_has_a_plant() -> None:
    assert sorted(PLANTS) == sorted(_contract_names())


def test_each_planted_import_breaks_its_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "advisor", tmp_path / "advisor", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for relative, line in PLANTS.values():
        path = tmp_path / relative
        path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # planted\n", encoding="utf-8")

    result = _lint(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    verdicts = dict(re.findall(r"^(.+) (KEPT|BROKEN)$", result.stdout, re.MULTILINE))
    assert verdicts == {name: "BROKEN" for name in PLANTS}, result.stdout
    report = result.stdout.split("Broken contracts", 1)[1]
    for relative, _line in PLANTS.values():  # each importer is named (the copy, not the installed package)
        module = relative.removesuffix(".py").replace("/", ".")
        assert f"{module} ->" in report or f"{module} (l." in report, (module, report)
