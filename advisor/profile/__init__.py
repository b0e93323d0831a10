"""Workload profiles: validated answers plus provenance, kept as YAML in git.

A profile file (format in docs/profile-format.md)::

    advisor_profile: 1
    questionnaire: {id: default, version: 1}
    answers:
      workload_name: payments-api  # Name of the workload or platform
    defaults:
      workload_class: web-services  # What kind of workload is it?
    answer_provenance:
      crd_count: {kind: observed, source: [dump:estate/prod/cluster.json], time: ..., derivation: ..., expires: ...}
    provenance: {created: ..., tool_version: ..., answered_by: ..., source: interactive}

Every value has a provenance (:data:`Origin`): ``answers`` holds what a person gave
(typed, or a shown default confirmed with Enter) or ``--set`` gave; ``defaults`` holds
the defaults of questions that were never shown, recorded as such; ``notes`` holds an
optional reason per answer, carried into the decision record; ``answer_provenance``
says, per answer key, where a value no person typed came from (``observed`` from a
cluster by ``advisor observe``, ``measured``), when, how, and until when it holds.
The file is read and written with round-trip YAML so that a rewrite keeps the user's
comments and key order, and a load followed by a write with no change gives the same
bytes.

The package, one concept per module: :mod:`~advisor.profile.model` (the file format, its
pydantic models and JSON Schema), :mod:`~advisor.profile.document` (a profile in memory
and its round-trip YAML), :mod:`~advisor.profile.loading` (reading and validating a
file), :mod:`~advisor.profile.planning` (``--set`` values and which questions to ask).
"""

from advisor.profile.document import Profile
from advisor.profile.loading import load, new
from advisor.profile.model import (
    PROFILE_FORMAT,
    AnswerProvenance,
    Origin,
    ProfileFile,
    Provenance,
    QuestionnaireRef,
    Source,
    json_schema,
)
from advisor.profile.planning import (
    Gathered,
    Plan,
    default_output,
    follow_ups,
    gather,
    missing_error,
    parse_assignment,
    plan,
    suggest_key,
)

__all__ = [
    "PROFILE_FORMAT",
    "AnswerProvenance",
    "Gathered",
    "Origin",
    "Plan",
    "Profile",
    "ProfileFile",
    "Provenance",
    "QuestionnaireRef",
    "Source",
    "default_output",
    "follow_ups",
    "gather",
    "json_schema",
    "load",
    "missing_error",
    "new",
    "parse_assignment",
    "plan",
    "suggest_key",
]
