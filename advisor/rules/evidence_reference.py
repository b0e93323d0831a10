"""docs/evidence.md, generated from the evidence catalogue and the rules' citations of it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from advisor.rules.citations import Citation, as_citation
from advisor.rules.evidence import EVIDENCE_GRADES, AppliesTo, Catalogue, EvidenceItem

__all__ = ["render_markdown"]

_BARE_URL = re.compile(r"(?<!<)(https?://[^\s<>]*[^\s<>.,;:)])")


def _cell(text: str) -> str:
    """One line of markdown: whitespace folded, pipes escaped, bare URLs as autolinks."""
    return _BARE_URL.sub(r"<\1>", " ".join(text.split()).replace("|", "\\|"))


_FORMAT = """\
## Format

`rules/evidence.yaml` holds `advisor_evidence: 1` and a list of `items`. Every key is
required unless marked optional; unknown keys are errors (`file:line:col`). For editors:
`advisor schema evidence > evidence.schema.json` (also in `docs/schemas/`).

| key | meaning |
|---|---|
{fields}

A rule cites items by id in an `evidence:` list, for example
`evidence: [felter2014-netperf-tcp-rr]` (a mapping with an `id` key counts too).

Checks, run by `advisor rules lint` and `advisor rules test` on any pack folder that has
an `evidence.yaml`, and by the test suite: the URL is an http(s) URL of a document, not
of a site; the grade is one of the vocabulary above and never `measured` (that grade
belongs to the user's own measurements, which the catalogue never holds); ids are
unique; no two items quote the same figure of the same document; a rejected or
unverified item says why; every id a rule cites exists and is not rejected; no item backs
two consequence estimates in the whole pack (a constraint may cite the document an estimate
cites: it rules an option in or out and adds nothing to the score, so nothing is counted
twice).

Grading: the grade is the support the document gives the item's *conclusion*, not its
premise. The project documentation of Kubernetes and of a vendor's own product is
authoritative for what the product does and is graded `expert-judgement`; a vendor's
performance claim with a published benchmark is `vendor-benchmark`, without one
`opinion`; a third party's published measurement is `independent-benchmark`; a paper
whose peer-reviewed text carries the figure is `peer-reviewed`. A figure says which
platform, I/O path and year it describes and holds only there.
"""


def _field_rows() -> list[str]:
    rows: list[str] = []
    for name, info in EvidenceItem.model_fields.items():
        if name == "applies_to":
            for sub, subinfo in AppliesTo.model_fields.items():
                rows.append(f"| `applies_to.{sub}` | {_cell(subinfo.description or '')} |")
            continue
        description = info.description or ""
        optional = "" if info.is_required() or description.startswith("required") else " (optional)"
        rows.append(f"| `{name}` | {_cell(description)}{optional} |")
    return rows


def render_markdown(catalogue: Catalogue, cited: Mapping[str, Sequence[str | Citation]]) -> str:
    """docs/evidence.md: the format, then every item with its grade, scope and citing rules."""
    users: dict[str, list[str]] = {}
    for rule_id in sorted(cited):
        for citation in map(as_citation, cited[rule_id]):
            users.setdefault(citation.evidence_id, []).append(rule_id)
    counts = {grade: sum(1 for i in catalogue if i.grade == grade and i.audit != "rejected")
              for grade in EVIDENCE_GRADES}
    audits = {state: sum(1 for i in catalogue if i.audit == state) for state in ("audited", "pending", "rejected")}
    out = [
        "# Evidence catalogue\n",
        f"Generated from `{catalogue.file}` by `python scripts/gen_docs.py`; do not edit.\n",
        "Every source a rule cites is an item here, with the exact URL of the document, the "
        "figure taken from it, the platform, I/O path and year it describes, what the document "
        "shows (premise), what the citing rule concludes (conclusion), and the grade of the "
        "support it gives *that conclusion*: "
        + " > ".join(f"`{g}`" for g in EVIDENCE_GRADES)
        + ". The grade `measured` belongs to your own measurements (`advisor measure`) only.\n",
        f"{len(catalogue)} items: {audits['audited']} audited, {audits['pending']} pending, "
        f"{audits['rejected']} rejected. Grades of the items not rejected: "
        + ", ".join(f"{counts[g]} {g}" for g in EVIDENCE_GRADES) + ".\n",
        _FORMAT.format(fields="\n".join(_field_rows())),
        "## Items\n",
        "| id | grade | applies to | year | audit | cited by |",
        "|---|---|---|---|---|---|",
    ]
    for item in catalogue:
        scope = f"{item.applies_to.platform}; {item.applies_to.io_path}"
        audit = item.audit + ("" if item.verified else ", unverified")
        rules = ", ".join(f"`{r}`" for r in users.get(item.id, [])) or "-"
        out.append(f"| [`{item.id}`](#{item.id}) | {item.grade} | {_cell(scope)} | {item.applies_to.year} "
                   f"| {audit} | {rules} |")
    out.append("")
    for item in catalogue:
        out.append(f"### {item.id}\n")
        out.append(f"- **Source:** {_cell(item.source)} ({item.published}), <{item.url}>")
        out.append(f"- **Figure:** {_cell(item.figure)}")
        out.append(f"- **Applies to:** {_cell(item.applies_to.platform)}; {_cell(item.applies_to.io_path)}; "
                   f"{item.applies_to.year}")
        out.append(f"- **Premise:** {_cell(item.premise)}")
        out.append(f"- **Conclusion:** {_cell(item.conclusion)}")
        out.append(f"- **Grade:** {item.grade}; **audit:** {item.audit}; "
                   f"**verified:** {'yes' if item.verified else 'no'}")
        if item.reason:
            out.append(f"- **Reason:** {_cell(item.reason)}")
        if item.note:
            out.append(f"- **Note:** {_cell(item.note)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
