"""One output contract for every command, checked by walking the click tree.

Every command either reports (it takes ``--format`` from the shared set, with ``table``
and ``json``) or acts (it changes files and says so on stderr) and is listed in
:data:`ACTS` with the reason. Every reporting command has a recipe here: it is run with
``--format json`` on real files, its stdout must be one JSON document and nothing
else, valid against the published schema (docs/schemas/NAME.schema.json, the same as
``advisor schema NAME``). A new command fails this test until it is classified, so it
cannot be forgotten.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import jsonschema
import pytest

from advisor.cli import cli
from advisor.cli.common import FORMATS

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "docs" / "schemas"

#: Commands that act instead of reporting: what they do goes to stderr, nothing to parse.
ACTS = {
    "records accept": "changes a record's status; one confirmation line on stderr",
    "records reject": "changes a record's status; one confirmation line on stderr",
    "records supersede": "changes two records; one confirmation line on stderr",
    "records deprecate": "changes a record's status; one confirmation line on stderr",
    "records link": "changes two records; one confirmation line on stderr",
    "records index": "writes the folder's README.md; one line on stderr",
    "records repair": "repairs the folder; what it did on stderr, what is left as file:line problems",
    "schema": "prints a JSON Schema: always JSON, no other format makes sense",
    "rules docs": "prints the pack's Markdown reference (docs/rule-pack.md): a document, not a report",
}

INVENTORY = """\
advisor_portfolio: 1
workloads:
  - answers: {workload_name: api, latency_p99_ms: 20}
  - answers: {workload_name: hft, latency_p99_ms: 0.05}
"""

#: command -> the arguments that make it report on the workspace (before --format json), and the exit codes
#: that are a report (a check that finds something still prints its JSON).
RECIPES: dict[str, tuple[list[str], tuple[int, ...]]] = {
    "assess": (["--set", "workload_name=contract", "--defaults", "--no-record"], (0,)),
    "questions": (["--full"], (0,)),
    "questions path": ([], (0,)),
    "profile validate": (["a.profile.yaml", "broken.profile.yaml"], (1,)),
    "rules list": ([], (0,)),
    "rules show": (["written-mandate"], (0,)),
    "rules lint": ([], (0,)),
    "rules test": ([], (0,)),
    "rules path": ([], (0,)),
    "facts": (["--source", "derived"], (0,)),
    "graph": (["--profile", "a.profile.yaml"], (0,)),
    "whatif": (["--profile", "a.profile.yaml"], (0,)),
    "measure": (["--probe", "cpu", "--budget", "3", "-o", "m.yaml"], (0,)),
    "plugins": ([], (0,)),
    "records list": (["--status", "proposed"], (0,)),
    "records show": (["1"], (0,)),
    "records diff": (["1", "2"], (0,)),
    "records check": (["--today", "2026-01-02"], (0, 4)),
    "portfolio": (["inventory.yaml", "--summary-only", "--output-dir", "summary", "--date", "2026-01-01"], (0,)),
    "observe": (["--dump", str(ROOT / "tests" / "data" / "observe" / "public" / "eks-honeycomb"), "--dry-run"], (0,)),
}


def _walk(command: click.Command, path: list[str]) -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(command, info_name=" ".join(path) or "advisor")
    if not isinstance(command, click.Group) or command.invoke_without_command:
        yield " ".join(path), command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            yield from _walk(sub, [*path, name])


COMMANDS = dict(_walk(cli, []))
COMMANDS.pop("", None)


def _format(command: click.Command) -> click.Option | None:
    return next((p for p in command.params if isinstance(p, click.Option) and "--format" in p.opts), None)


def test_every_command_is_classified_and_reporting_ones_share_the_formats() -> None:
    reporting = {name for name, command in COMMANDS.items() if _format(command) is not None}
    assert set(COMMANDS) == reporting | set(ACTS), "classify: " + ", ".join(sorted(set(COMMANDS) - reporting
                                                                                  - set(ACTS)))
    assert not reporting & set(ACTS)
    assert reporting == set(RECIPES), "a recipe for every reporting command: " + ", ".join(
        sorted(reporting ^ set(RECIPES)))
    for name in reporting:
        option = _format(COMMANDS[name])
        assert option is not None and isinstance(option.type, click.Choice)
        choices = list(option.type.choices)
        assert {"table", "json"} <= set(choices) <= set(FORMATS), (name, choices)


def test_one_name_one_meaning_across_commands() -> None:
    seen: dict[str, set[str]] = {}
    for name, command in COMMANDS.items():
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            for opt in param.opts + param.secondary_opts:
                seen.setdefault(opt, set()).add(f"{'flag' if param.is_flag else param.metavar or param.type.name}")
            if "-o" in param.opts:
                assert param.opts == ["-o", "--output"], (name, param.opts)
            if "--force" in param.opts:
                assert (param.help or "").startswith(("Overwrite", "Replace existing")), (name, param.help)
            if "--budget" in param.opts:
                assert param.metavar == "SECONDS", (name, param.metavar)
            if "--records-dir" in param.opts or "--output-dir" in param.opts:
                assert isinstance(param.type, click.Path) and not param.type.file_okay, name
    assert "--dir" not in seen and "--force-compare" in seen
    # the same option name takes the same kind of value everywhere (a flag, a FILE, a DIR, ...)
    clashes = {opt: dests for opt, dests in seen.items() if len(dests) > 1}
    assert not clashes, clashes


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from advisor.cli import run

    work = tmp_path_factory.mktemp("contract")
    here = Path.cwd()
    try:
        import os

        os.chdir(work)
        os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
        for name, extra in (("a", []), ("b", ["--set", "bare_metal_mandated=true"])):
            assert run(["assess", "--set", f"workload_name={name}", *extra, "--defaults", "--profile-output",
                        f"{name}.profile.yaml", "--date", "2026-01-01"]) == 0
    finally:
        os.chdir(here)
    (work / "broken.profile.yaml").write_text("advisor_profile: 1\nanswers: {latency_p99_ms: fast}\n",
                                              encoding="utf-8")
    (work / "inventory.yaml").write_text(INVENTORY, encoding="utf-8")
    return work


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_json_output_is_alone_on_stdout_and_valid_against_its_published_schema(
        name: str, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str],
) -> None:
    from advisor.cli import run

    if name == "measure" and shutil.which("sysbench") is None:
        pytest.skip("the cpu probe needs sysbench (scripts/test-tools installs it)")
    work = tmp_path / "w"
    shutil.copytree(workspace, work)
    monkeypatch.chdir(work)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("NO_COLOR", "1")
    args, codes = RECIPES[name]
    capfd.readouterr()
    code = run([*name.split(), *args, "--format", "json"])
    out, err = capfd.readouterr()
    assert code in codes, f"exit {code}; stderr:\n{err}"
    data = json.loads(out)  # the whole of stdout is one JSON document
    schema_name = name.replace(" ", "-")
    published = json.loads((SCHEMAS / f"{schema_name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(published)
    errors = sorted(jsonschema.Draft202012Validator(published).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    assert capfd.readouterr() == ("", "")


def test_schema_command_prints_the_published_schemas(advisor) -> None:  # type: ignore[no-untyped-def]
    for name in [*sorted({n.replace(" ", "-") for n in RECIPES}), "profile", "questionnaire"]:
        result = advisor("schema", name)
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout) == json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
