"""Decision records: the model, how one is built and stored, and its lifecycle.

A record is a ``NNNN-<slug>.md`` / ``NNNN-<slug>.json`` pair in a records folder
(default ``reports/``); the JSON twin is the source of truth (docs/decision-records.md,
docs/records-lifecycle.md). One concept per module:

* :mod:`~advisor.records.model`: the record model and reading a JSON twin;
* :mod:`~advisor.records.naming`: dates, titles, slugs;
* :mod:`~advisor.records.hashing`: hashes of profile files and rule packs;
* :mod:`~advisor.records.build`: a proposed record from a decision;
* :mod:`~advisor.records.writing`: storing a new record;
* :mod:`~advisor.records.store`: which files are records, and reading them;
* :mod:`~advisor.records.edit`: how the markdown follows a change;
* :mod:`~advisor.records.lifecycle`: status changes, supersede, links;
* :mod:`~advisor.records.index`: the folder's README.md;
* :mod:`~advisor.records.diff`: what changed between two records;
* :mod:`~advisor.records.check`: records in force that need a second look.

This package returns data and never prints; rendering is :mod:`advisor.render`, a layer above.
"""

from __future__ import annotations

from advisor.records.build import build_record, probability_of, recommendation_of
from advisor.records.check import CheckFinding, CheckReport, CurrentProfile, check
from advisor.records.diff import Change, Diff, Evaluate, diff
from advisor.records.edit import Render, edit_markdown, link_line
from advisor.records.hashing import PACK_FILE, file_sha256, pack_sha256, rules_sha256, sha256_hex
from advisor.records.index import index_text, index_with, rows, write_index
from advisor.records.lifecycle import TRANSITIONS, link, same_inputs, set_status, supersede, supersede_guard
from advisor.records.model import (
    ACTIVE,
    RECORD_FORMAT,
    REVIEW_MONTHS,
    STATUSES,
    DecisionRecord,
    Link,
    MeasurementsInfo,
    PackInfo,
    ProfileInfo,
    QuestionnaireInfo,
    Recommendation,
    RulesInfo,
    Status,
)
from advisor.records.naming import (
    NODE_NAMES,
    OPTION_NAMES,
    add_months,
    check_date,
    default_date,
    default_title,
    slugify,
)
from advisor.records.store import (
    INDEX_NAME,
    RECORD_NAME,
    RecordFile,
    load,
    load_all,
    next_number,
    parse_number,
    record_paths,
)
from advisor.records.writing import write_record

__all__ = [
    "ACTIVE",
    "Change",
    "CheckFinding",
    "CheckReport",
    "CurrentProfile",
    "DecisionRecord",
    "Diff",
    "Evaluate",
    "INDEX_NAME",
    "Link",
    "MeasurementsInfo",
    "NODE_NAMES",
    "OPTION_NAMES",
    "PACK_FILE",
    "PackInfo",
    "ProfileInfo",
    "QuestionnaireInfo",
    "RECORD_FORMAT",
    "RECORD_NAME",
    "REVIEW_MONTHS",
    "Recommendation",
    "RecordFile",
    "Render",
    "RulesInfo",
    "STATUSES",
    "Status",
    "TRANSITIONS",
    "add_months",
    "build_record",
    "check",
    "check_date",
    "default_date",
    "default_title",
    "diff",
    "edit_markdown",
    "file_sha256",
    "index_text",
    "index_with",
    "link",
    "link_line",
    "load",
    "load_all",
    "next_number",
    "pack_sha256",
    "parse_number",
    "probability_of",
    "recommendation_of",
    "record_paths",
    "rows",
    "rules_sha256",
    "same_inputs",
    "set_status",
    "sha256_hex",
    "slugify",
    "supersede",
    "supersede_guard",
    "write_index",
    "write_record",
]
