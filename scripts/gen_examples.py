"""Regenerate the example decision records in docs/examples/records/ from docs/examples/profiles/.

    .venv/bin/python scripts/gen_examples.py          # rewrite docs/examples/records/NNNN-*
    .venv/bin/python scripts/gen_examples.py --check  # exit 1 when a file differs (CI drift check)

Each profile (sorted by file name) becomes record number 1, 2, ... with a pinned
date and decision-maker, exactly as this command would write it into an empty
records folder::

    advisor assess --profile docs/examples/profiles/NAME.profile.yaml --defaults \\
        --date 2026-11-28 --decision-maker "Platform architecture board"

tests/test_examples.py checks that the checked-in files are byte for byte what this
script produces.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILES = "docs/examples/profiles"
REPORTS = "docs/examples/records"
DATE = "2026-11-28"
DECISION_MAKERS = ("Platform architecture board",)


def example_records(root: Path = ROOT) -> dict[str, str]:
    """``{path relative to root: text}`` of every example record (markdown and JSON)."""
    from advisor import pipeline, recording, render
    from advisor import profile as profiles

    questionnaire = pipeline.load_questionnaire()
    out: dict[str, str] = {}
    for number, path in enumerate(sorted((root / PROFILES).glob("*.yaml")), start=1):
        shown = f"{PROFILES}/{path.name}"
        profile = profiles.load(path, questionnaire, display=shown)
        record = recording.decide(profile, questionnaire=questionnaire, date=DATE, decision_makers=DECISION_MAKERS,
                                 number=number, profile_display=shown)
        out[f"{REPORTS}/{record.stem}.md"] = render.to_markdown(record)
        out[f"{REPORTS}/{record.stem}.json"] = render.to_json(record)
    return out


def stale_files(root: Path, expected: dict[str, str]) -> list[str]:
    """Record files in docs/examples/records/ that the examples no longer produce."""
    from advisor.records import record_paths

    return sorted(p.relative_to(root).as_posix() for paths in record_paths(root / REPORTS).values() for p in paths
                  if p.relative_to(root).as_posix() not in expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on drift")
    args = parser.parse_args(argv)
    from advisor.atomic import write_text

    expected = example_records(ROOT)
    drift = [name for name, text in expected.items()
             if not (ROOT / name).is_file() or (ROOT / name).read_text(encoding="utf-8") != text]
    stale = stale_files(ROOT, expected)
    if args.check:
        for name in drift:
            print(f"{name}: differs from scripts/gen_examples.py output", file=sys.stderr)
        for name in stale:
            print(f"{name}: not produced by any example profile", file=sys.stderr)
        return 1 if drift or stale else 0
    for name in drift:
        write_text(ROOT / name, expected[name])
        print(f"wrote {name}")
    for name in stale:
        (ROOT / name).unlink()
        print(f"removed {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
