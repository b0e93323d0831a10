"""CLI behaviour of the questionnaire commands: exit codes, stdout/stderr, files written.

Everything runs in-process through the real entry point (``advisor.cli.main``) with
click's CliRunner, so stdin is not a terminal here.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import click
import pytest

from advisor import __version__, yamlio
from advisor import profile as profiles

QUICK = [
    "workload_name", "workload_class", "latency_p99_ms", "jitter_sensitive", "tenant_count", "untrusted_tenants",
    "compliance",
    "bare_metal_mandated", "physical_hosts", "microservices_per_host", "k8s_versions_in_production", "crd_count",
    "upgrades_per_year", "upgrade_duration_days", "gpu", "existing_virtualization", "priority_performance",
    "priority_isolation", "priority_operations", "priority_resilience", "priority_cost",
]


# ----------------------------------------------------------------- global options and help


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(advisor, flag):
    result = advisor(flag)
    assert result.exit_code == 0
    assert result.stdout == f"advisor, version {__version__}\n"
    assert result.stderr == ""


def _command_paths() -> list[tuple[str, ...]]:
    """Every command and group below ``advisor`` whose module exists, as argument paths."""
    from advisor.cli import COMMANDS

    paths: list[tuple[str, ...]] = [()]

    def walk(path: tuple[str, ...], command: click.Command) -> None:
        paths.append(path)
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                walk((*path, name), sub)

    for name, (target, _) in sorted(COMMANDS.items()):
        module_name, attr = target.split(":")
        if importlib.util.find_spec(module_name) is None:
            continue  # not written yet
        module = importlib.import_module(module_name)
        walk((name,), getattr(module, attr))
    return paths


def test_help_lists_the_available_commands(advisor):
    from advisor.cli import COMMANDS

    result = advisor("-h")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Usage: advisor [OPTIONS] COMMAND [ARGS]...")
    for name, (target, line) in COMMANDS.items():
        listed = importlib.util.find_spec(target.split(":")[0]) is not None
        assert (f"  {name}" in result.stdout) is listed, name
        if listed:
            assert line in result.stdout


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "advisor")
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_works_on_every_command_and_group(advisor, path, flag):
    result = advisor(*path, flag)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"Usage: advisor {' '.join(path)}".rstrip() + " ")
    assert "Show this message and exit." in result.stdout
    assert result.stderr == ""


def test_unknown_option_is_a_usage_error(advisor):
    result = advisor("assess", "--nope")
    assert result.exit_code == 2
    assert "No such option '--nope'" in result.stderr
    assert result.stdout == ""


# ----------------------------------------------------------------- assess without a terminal


def test_missing_answers_without_terminal_exit_1_and_list_the_keys(advisor, tmp_path):
    result = advisor("assess")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("advisor: missing answers (no terminal to ask on): " + ", ".join(QUICK) + "; ")
    assert "--set workload_name=VALUE" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_missing_answers_lists_only_what_is_still_missing(advisor, tmp_path):
    result = advisor("assess", "--set", "workload_name=api", "--set", "gpu=inference")
    assert result.exit_code == 1
    missing = [k for k in QUICK if k not in ("workload_name", "gpu")]
    assert result.stderr.startswith("advisor: missing answers (no terminal to ask on): " + ", ".join(missing) + "; ")
    assert list(tmp_path.iterdir()) == []


def test_defaults_cannot_invent_a_required_answer(advisor, tmp_path):
    result = advisor("assess", "--defaults")
    assert result.exit_code == 1
    assert result.stderr == (
        "advisor: missing answers (no terminal to ask on): workload_name; give --set workload_name=VALUE\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("assignment", "message"), [
    ("latency_p99=5", "--set: unknown question key 'latency_p99'; did you mean 'latency_p99_ms'?"),
    ("color=blue", "--set: unknown question key 'color'; run 'advisor questions' to list the keys"),
    ("latency_p99_ms=fast", "--set: latency_p99_ms: expected a number, got 'fast'; "
                            "give a number >= 0.001 and <= 3600000 ms"),
    ("latency_p99_ms=0", "--set: latency_p99_ms: 0 is out of range; give a number >= 0.001 and <= 3600000 ms"),
    ("priority_cost=9", "--set: priority_cost: 9 is out of range; give a whole number >= 1 and <= 5"),
    ("workload_class=shared", "--set: workload_class: 'shared' is not a choice; "
                              "choose one of 'web-services', 'data-processing', 'ml-training', 'ml-inference', "
                              "'trading', 'telco-cnf', 'hpc', 'ci-build', 'edge', 'stateful-database'"),
    ("tenancy=single-team", "--set: 'tenancy' was retired: it carried two independent facts, how many tenants "
                            "share the nodes and whether they must be kept apart; they are tenant_count and "
                            "untrusted_tenants; answer tenant_count, untrusted_tenants instead (single-team -> "
                            "tenant_count: 1; multi-team -> untrusted_tenants: false; multi-tenant-untrusted -> "
                            "untrusted_tenants: true)"),
    ("compliance=none,pci-dss", "--set: compliance: 'none' cannot be combined with other choices; "
                                "remove it or the others"),
    ("jitter_sensitive=maybe", "--set: jitter_sensitive: expected yes or no, got 'maybe'; answer true or false"),
    ("nokey", "--set: 'nokey' is not key=value; write e.g. --set latency_p99_ms=5"),
])
def test_set_with_bad_key_or_value_exits_2_with_one_line(advisor, tmp_path, assignment, message):
    result = advisor("assess", "--set", "workload_name=api", "--set", assignment, "--defaults")
    assert result.exit_code == 2
    assert result.stderr == message + "\n"
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_ask_needs_a_terminal(advisor, tmp_path):
    result = advisor("assess", "--set", "workload_name=api", "--defaults", "--ask", "latency_p99_ms")
    assert result.exit_code == 2
    assert result.stderr == ("advisor: --ask latency_p99_ms needs a terminal to ask on; "
                             "use --set key=value to change answers instead\n")


def test_defaults_write_a_complete_profile(advisor, tmp_path, questionnaire):
    result = advisor("assess", "--set", "workload_name=Payments API", "--set", "latency_p99_ms=5",
                     "--set", "compliance=soc2,pci-dss", "--defaults", "--answered-by", "ci")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == "Profile written to payments-api.profile.yaml"
    assert "Profile written" not in result.stdout  # stdout is for the result only
    loaded = profiles.load(tmp_path / "payments-api.profile.yaml", questionnaire)
    assert loaded.answers == {"workload_name": "Payments API", "latency_p99_ms": 5.0,
                              "compliance": ["pci-dss", "soc2"]}
    assert set(loaded.defaults) == set(questionnaire.keys()) - set(loaded.answers)
    assert loaded.defaults == {k: v for k, v in questionnaire.defaults().items() if k not in loaded.answers}
    assert list(loaded.values()) == questionnaire.keys()
    prov = loaded.provenance
    assert prov is not None
    assert (prov.created, prov.updated, prov.answered_by, prov.source, prov.complete, prov.tool_version) == (
        "2023-11-14T22:13:20Z", None, "ci", "set", True, __version__)
    validated = advisor("profile", "validate", "payments-api.profile.yaml")
    assert validated.exit_code == 0
    assert validated.stdout == "payments-api.profile.yaml: valid (3 answers, 55 defaults)\n"


def test_output_refuses_to_overwrite_without_force(advisor, tmp_path, questionnaire):
    out = tmp_path / "out.yaml"
    out.write_text("keep me\n", encoding="utf-8")
    result = advisor("assess", "--set", "workload_name=api", "--defaults", "--profile-output", "out.yaml")
    assert result.exit_code == 2
    assert result.stderr == "advisor: out.yaml already exists; use --force to replace it, or --profile to update it\n"
    assert out.read_text(encoding="utf-8") == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.yaml"]

    forced = advisor("assess", "--set", "workload_name=api", "--defaults", "--profile-output", "out.yaml", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert forced.stderr.splitlines()[0] == "Profile written to out.yaml"
    assert profiles.load(out, questionnaire).answers == {"workload_name": "api"}


def test_default_output_name_never_overwrites(advisor, tmp_path, questionnaire):
    names = []
    for latency in ("1", "2", "3"):
        result = advisor("assess", "--set", "workload_name=payments", "--set", f"latency_p99_ms={latency}",
                         "--defaults")
        assert result.exit_code == 0, result.stderr
        names.append(result.stderr.splitlines()[0].removeprefix("Profile written to "))
    assert names == ["payments.profile.yaml", "payments-2.profile.yaml", "payments-3.profile.yaml"]
    for name, latency in zip(names, (1.0, 2.0, 3.0), strict=True):
        assert profiles.load(tmp_path / name, questionnaire).answers["latency_p99_ms"] == latency


# ----------------------------------------------------------------- questions


def test_questions_table_lists_quick_questions(advisor, questionnaire):
    result = advisor("questions")
    assert result.exit_code == 0
    header, rule, *rows = result.stdout.splitlines()
    assert header.split() == ["key", "type", "allowed", "default", "mode", "asked", "when"]
    keys = [row.split()[0] for row in rows if row and not row.startswith(" ")]
    assert keys == QUICK
    assert result.stderr == f"({len(questionnaire.questions) - len(QUICK)} more with --full)\n"


def test_questions_table_full(advisor, questionnaire):
    result = advisor("questions", "--full", "--format", "table")
    assert result.exit_code == 0
    keys = [row.split()[0] for row in result.stdout.splitlines()[2:] if row and not row.startswith(" ")]
    assert keys == questionnaire.keys()
    assert "full; quick when untrusted_tenants or workload_class == 'ci-build'" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(("args", "expected"), [((), QUICK), (("--full",), None)])
def test_questions_json_and_yaml(advisor, questionnaire, args, expected):
    expected = expected or questionnaire.keys()
    as_json = advisor("questions", *args, "--format", "json")
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)
    assert [q["key"] for q in data] == expected
    assert len(expected) == (58 if args else 21)
    by_key = {q["key"]: q for q in data}
    assert by_key["latency_p99_ms"]["default"] == 200
    assert by_key["latency_p99_ms"]["unit"] == "ms"
    assert [c["value"] for c in by_key["gpu"]["choices"]][:2] == ["none", "inference"]
    assert "default" not in by_key["workload_name"]  # required
    as_yaml = advisor("questions", *args, "--format", "yaml")
    assert as_yaml.exit_code == 0
    assert yamlio.parse(as_yaml.stdout, "<stdout>", expect=list).plain() == data


# ----------------------------------------------------------------- profile validate


def test_profile_validate_ok_partial_and_bad(advisor, tmp_path):
    assert advisor("assess", "--set", "workload_name=api", "--defaults", "--profile-output", "ok.yaml").exit_code == 0
    text = (tmp_path / "ok.yaml").read_text(encoding="utf-8")

    partial = text.replace("  crd_count: 30  # How many CRDs are installed across the clusters?\n", "").replace(
        "  gpu: none  # Does the workload use GPUs?\n", "")
    assert partial.count("\n") == text.count("\n") - 2
    (tmp_path / "partial.yaml").write_text(partial, encoding="utf-8")
    bad = text.replace("latency_p99_ms: 200", "latency_p99_ms: fast").replace("  racks: 4", "  rack: 4")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    latency_line = bad.splitlines().index(next(x for x in bad.splitlines() if "latency_p99_ms" in x)) + 1
    rack_line = bad.splitlines().index(next(x for x in bad.splitlines() if x.startswith("  rack:"))) + 1

    result = advisor("profile", "validate", "ok.yaml", "partial.yaml")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("ok.yaml: valid (1 answers, 57 defaults)\n"
                             "partial.yaml: valid (1 answers, 55 defaults; not yet answered: crd_count, gpu)\n")

    result = advisor("profile", "validate", "ok.yaml", "bad.yaml")
    assert result.exit_code == 1
    assert result.stdout == "ok.yaml: valid (1 answers, 57 defaults)\n"
    assert result.stderr == (
        f"bad.yaml:{latency_line}:19: latency_p99_ms: expected a number, got 'fast'; "
        "give a number >= 0.001 and <= 3600000 ms\n"
        f"bad.yaml:{rack_line}:3: unknown question key 'rack'; did you mean 'racks'?\n"
    )

    missing = advisor("profile", "validate", "nope.yaml")
    assert missing.exit_code == 1
    assert missing.stderr == "nope.yaml: file not found; check the path\n"


# ----------------------------------------------------------------- schema


def test_schema_profile_is_valid_json_schema_and_accepts_written_profiles(advisor, tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    result = advisor("schema", "profile")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    assert advisor("assess", "--set", "workload_name=api", "--set", "compliance=hipaa", "--defaults",
                   "--profile-output", "p.yaml").exit_code == 0
    data = yamlio.load(tmp_path / "p.yaml").plain()
    assert list(validator.iter_errors(data)) == []

    data["answers"]["latency_p99_ms"] = "fast"
    data["answers"]["rack"] = 4
    data["defaults"]["tenant_count"] = "many"
    errors = sorted(e.message for e in validator.iter_errors(data))
    assert len(errors) == 3, errors
    assert any("'rack' was unexpected" in e for e in errors)


def test_schema_questionnaire_accepts_the_bundled_questionnaire(advisor):
    jsonschema = pytest.importorskip("jsonschema")
    from advisor.questionnaire import DEFAULT_PATH

    result = advisor("schema", "questionnaire")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    data = yamlio.load(DEFAULT_PATH).plain()
    assert list(validator.iter_errors(data)) == []
    data["questions"][0]["type"] = "text"
    assert list(validator.iter_errors(data)) != []


def test_schema_needs_a_kind(advisor):
    result = advisor("schema", "rules-pack")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "'rules-pack' is not one of 'profile', 'questionnaire'" in result.stderr


# ----------------------------------------------------------------- internal errors


def _boom(*args, **kwargs):
    raise RuntimeError("boom")


def test_internal_error_is_one_line_without_traceback(advisor, monkeypatch):
    monkeypatch.setattr("advisor.questionnaire.describe", _boom)
    result = advisor("questions")
    assert result.exit_code == 70
    assert result.stderr == "advisor: internal error: RuntimeError: boom; rerun with --traceback and report it\n"
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("how", ["flag", "env"])
def test_traceback_flag_shows_the_traceback(advisor, monkeypatch, how):
    monkeypatch.setattr("advisor.questionnaire.describe", _boom)
    if how == "env":
        monkeypatch.setenv("ADVISOR_TRACEBACK", "1")
        result = advisor("questions")
    else:
        result = advisor("--traceback", "questions")
    assert result.exit_code == 70
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert "RuntimeError: boom\n" in result.stderr
    assert "in _boom" in result.stderr
    assert result.stderr.endswith("advisor: internal error: RuntimeError: boom; rerun with --traceback and report it\n")


def test_user_errors_never_show_a_traceback(advisor):
    result = advisor("profile", "validate", "nope.yaml")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr


def test_traceback_flag_on_user_error_keeps_the_exit_code(advisor):
    result = advisor("--traceback", "profile", "validate", "nope.yaml")
    assert result.exit_code == 1
    assert "Traceback (most recent call last):" in result.stderr
    assert result.stderr.endswith("nope.yaml: file not found; check the path\n")


def test_profile_path_is_relative_to_cwd(advisor, tmp_path):
    Path("sub").mkdir()
    result = advisor("assess", "--set", "workload_name=api", "--defaults", "--profile-output", "sub/api.yaml")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "sub" / "api.yaml").is_file()
