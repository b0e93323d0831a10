"""Generated references are checked in and must not drift; docs name every command."""

from __future__ import annotations

from pathlib import Path

import pytest
import support

from advisor.cli import COMMANDS, cli
from advisor.cli.reference import generated_files

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path", sorted(generated_files(ROOT)), ids=lambda p: str(p.relative_to(ROOT)))
def test_generated_reference_is_current(path: Path) -> None:
    expected = generated_files(ROOT)[path]
    missing = f"{path.relative_to(ROOT)} is missing; run: python scripts/gen_docs.py"
    assert path.exists() or support.UPDATE_GOLDEN, missing
    assert support.golden(path, expected) == expected, (
        f"{path.relative_to(ROOT)} is out of date; run: python scripts/gen_docs.py (or pytest --update-golden)"
    )


def test_every_available_command_is_in_the_reference() -> None:
    reference = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    import click

    ctx = click.Context(cli)
    names = cli.list_commands(ctx)
    assert names, "no commands found"
    for name in names:
        assert f"`advisor {name}`" in reference


def test_every_registered_command_has_a_one_line_help() -> None:
    for name, (target, text) in COMMANDS.items():
        assert ":" in target and text.endswith("."), name


def test_readme_quickstart_has_exactly_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in block.strip().splitlines() if line.strip() and not line.startswith("#")]
    assert [c.split()[0] for c in commands] == ["./scripts/quickstart", "./scripts/test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test" in ci


def test_every_rule_of_the_default_pack_is_in_the_catalogue() -> None:
    from advisor.resources import PACK_FOLDER

    catalogue = (ROOT / "docs" / "rule-pack.md").read_text(encoding="utf-8")
    constraints = sorted((ROOT / PACK_FOLDER).glob("constraints/*.yaml"))
    consequences = sorted((ROOT / PACK_FOLDER).glob("consequences/*.yaml"))
    assert len(constraints) + len(consequences) >= 30
    for path in [*constraints, *consequences]:
        assert f"### `{path.stem}`" in catalogue, f"{path.stem} is not described in docs/rule-pack.md"
    assert f"{len(constraints)} constraint rules, {len(consequences)} consequence rules" in catalogue
