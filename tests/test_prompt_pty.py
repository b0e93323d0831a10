"""The interactive questionnaire, driven through a real pseudo-terminal.

Each test starts ``python -m advisor assess`` under pexpect, waits for every prompt
to be drawn before it sends keys, and checks the file written. Set
``pytest --update-golden`` to rewrite the golden files after an intended change.

Interrupts are injected deterministically, never after a sleep: Ctrl-C and Ctrl-D go
only to a prompt seen drawn on the terminal (:meth:`Terminal.question`,
:meth:`Terminal.prompt`). prompt_toolkit switches the terminal to raw mode before it
draws a prompt, so the control character reaches the prompt as a key; sent between two
prompts it would meet the terminal in cooked mode (the line discipline turns Ctrl-C
into SIGINT at an arbitrary point and Ctrl-D into end-of-file), which is the timing
the tests must not depend on. :meth:`Terminal.send` refuses a control character that
does not follow a drawn prompt.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from support import golden

pexpect = pytest.importorskip("pexpect")

from advisor import profile as profiles  # noqa: E402

pytestmark = [
    pytest.mark.pty,
    pytest.mark.waits,  # on the terminal's answers: a parallel run starts these first (tests/conftest.py)
    pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal"),
]

EPOCH = "1700000000"  # 2023-11-14T22:13:20Z
DOWN = "\x1b[B"
ENTER = "\r"
BACKSPACE = "\x7f"
CTRL_C = "\x03"
CTRL_D = "\x04"


class Terminal:
    """One ``advisor`` process on a pseudo-terminal, with a transcript for failure messages."""

    def __init__(self, args: list[str], cwd: Path, **extra_env: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ADVISOR_", "PYTEST_"))}
        env.update({
            "SOURCE_DATE_EPOCH": EPOCH,
            "NO_COLOR": "1",
            "TERM": "xterm",
            "COLUMNS": "120",
            "LINES": "40",
            # no cursor-position requests: a pty does not answer them
            "PROMPT_TOOLKIT_NO_CPR": "1",
            **extra_env,
        })
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(
            sys.executable, ["-m", "advisor", *args], cwd=str(cwd), env=env, encoding="utf-8",
            dimensions=(40, 120), timeout=10,
        )
        self.child.logfile_read = self.transcript
        #: a prompt was seen drawn since the last keys were sent: a control character may go to it
        self.prompt_drawn = False

    def wait(self, text: str) -> None:
        """Wait until ``text`` is on the screen (exact text, not a regex)."""
        try:
            self.child.expect_exact(text)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            raise AssertionError(f"did not see {text!r}; transcript:\n{self.output()}") from exc

    def question(self, index: int, total: int, prompt: str) -> None:
        """Wait for the numbered prompt ``[index/total] prompt`` to be drawn."""
        self.prompt(f"[{index}/{total}] {prompt}")

    def prompt(self, text: str) -> None:
        """Wait for the prompt showing ``text`` to be drawn (it reads keys in raw mode from then on)."""
        self.wait(text)
        self.prompt_drawn = True

    def prompt_matching(self, pattern: Any) -> tuple[str, ...]:
        """Wait for a prompt matching the compiled regex ``pattern``; its groups."""
        try:
            self.child.expect(pattern)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            raise AssertionError(f"no prompt matching {pattern.pattern!r}; transcript:\n{self.output()}") from exc
        self.prompt_drawn = True
        return tuple(self.child.match.groups())

    def send(self, *keys: str) -> None:
        """Type ``keys`` at the prompt drawn last; a control character only right after a prompt was drawn."""
        for key in keys:
            if key in (CTRL_C, CTRL_D):
                assert self.prompt_drawn, (f"{key!r} sent without waiting for the prompt that takes it "
                                           "(Terminal.question / Terminal.prompt)")
            self.child.send(key)
        self.prompt_drawn = False

    def finish(self) -> int:
        """Wait for the process to end; return its exit status."""
        try:
            self.child.expect(pexpect.EOF)
        except pexpect.TIMEOUT as exc:
            self.child.terminate(force=True)
            raise AssertionError(f"advisor did not exit; transcript:\n{self.output()}") from exc
        self.child.close()
        assert self.child.exitstatus is not None, f"killed by signal {self.child.signalstatus}"
        return int(self.child.exitstatus)

    def output(self) -> str:
        return self.transcript.getvalue()

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


@pytest.fixture
def terminal(tmp_path: Path):
    started: list[Terminal] = []

    def start(*args: str, **env: str) -> Terminal:
        term = Terminal(list(args), tmp_path, **env)
        started.append(term)
        return term

    yield start
    for term in started:
        term.close()


def _prompts(questionnaire, keys: list[str]) -> list[str]:
    return [questionnaire.by_key[k].prompt for k in keys]


QUICK = [
    "workload_name", "workload_class", "latency_p99_ms", "jitter_sensitive", "tenant_count", "untrusted_tenants",
    "compliance",
    "bare_metal_mandated", "physical_hosts", "microservices_per_host", "k8s_versions_in_production", "crd_count",
    "upgrades_per_year", "upgrade_duration_days", "gpu", "existing_virtualization", "priority_performance",
    "priority_isolation", "priority_operations", "priority_resilience", "priority_cost",
]


def test_quick_questionnaire_with_invalid_value_and_change_matchesgolden(terminal, tmp_path, questionnaire,
                                                                          golden_dir):
    assert [q.key for q in questionnaire.selected("quick")] == QUICK
    term = terminal("assess", "--answered-by", "tester")
    prompt = questionnaire.by_key

    # key -> keys to send once its prompt is drawn ("" = Enter takes the default)
    answers: dict[str, list[str]] = {
        "workload_name": ["payments-api", ENTER],
        "workload_class": [DOWN, ENTER],              # data-processing
        "latency_p99_ms": [],                          # handled below: invalid value first
        "jitter_sensitive": ["y"],                     # confirm accepts y without Enter
        "tenant_count": [ENTER],                       # default 5
        "untrusted_tenants": [ENTER],                  # default no
        "compliance": [ENTER],                         # default [none]
        "bare_metal_mandated": [ENTER],                # default no
        "physical_hosts": ["40", ENTER],
        "microservices_per_host": [ENTER],             # default 20
        "k8s_versions_in_production": [ENTER],         # default 2
        "crd_count": ["120", ENTER],
        "upgrades_per_year": [ENTER],                  # default 3
        "upgrade_duration_days": ["2.5", ENTER],
        "gpu": [ENTER],                                # default none
        "existing_virtualization": [DOWN, ENTER],     # vsphere
        "hypervisor_license_per_core_year": ["350", ENTER],  # the follow-up vSphere makes decisive
        "priority_performance": ["5", ENTER],
        "priority_isolation": [ENTER],
        "priority_operations": ["4", ENTER],
        "priority_resilience": [ENTER],
        "priority_cost": ["2", ENTER],
    }
    # vSphere makes its licence price decisive: quick mode asks it next, and the count grows by one
    asked = QUICK[:QUICK.index("existing_virtualization") + 1] + ["hypervisor_license_per_core_year"]
    asked += QUICK[len(asked) - 1:]
    for index, key in enumerate(asked, start=1):
        term.question(index, len(QUICK) + (index > QUICK.index("existing_virtualization") + 1), prompt[key].prompt)
        if key == "latency_p99_ms":
            term.send("fast", ENTER)
            term.wait("expected a number, got 'fast'")
            term.send(*[BACKSPACE] * 4, "5", ENTER)
        else:
            term.send(*answers[key])

    # the summary: change latency_p99_ms (third in the list) from 5 to 0.5, then save
    term.prompt("Save these answers?")
    term.send(DOWN, ENTER)
    term.prompt("Which answer?")
    term.wait("p99 end-to-end latency SLO, in milliseconds: 5")
    term.send(DOWN, DOWN, ENTER)
    term.prompt(prompt["latency_p99_ms"].prompt)
    term.wait("[Enter for 5;")
    term.send("0.5", ENTER)
    # a sub-millisecond SLO makes the VM platform's I/O paths and pinning decisive: asked now
    term.prompt(prompt["vm_io_paths"].prompt)
    term.send(ENTER)
    term.prompt(prompt["vm_cpu_pinning"].prompt)
    term.send("n")
    term.prompt("Save these answers?")
    term.send(ENTER)
    # a record is written: the record names who decides
    term.prompt("Who decides?")
    term.send("Platform architecture board,  CTO , CTO", ENTER)
    assert term.finish() == 0, term.output()
    assert "Profile written to payments-api.profile.yaml" in term.output()
    assert "decision-makers: Platform architecture board, CTO" in term.output()
    record = json.loads(next((tmp_path / "reports").glob("0001-*.json")).read_text(encoding="utf-8"))
    assert record["decision_makers"] == ["Platform architecture board", "CTO"]
    assert "--decision-maker 'Platform architecture board' --decision-maker CTO" in record["command"]

    written = (tmp_path / "payments-api.profile.yaml").read_text(encoding="utf-8")
    assert written == golden(golden_dir / "pty-quick.profile.yaml", written)
    loaded = profiles.load(tmp_path / "payments-api.profile.yaml", questionnaire)
    assert loaded.answers["latency_p99_ms"] == 0.5
    assert loaded.answers["workload_class"] == "data-processing"
    assert loaded.answers["jitter_sensitive"] is True
    assert loaded.answers["physical_hosts"] == 40 and loaded.answers["priority_cost"] == 2
    assert loaded.answers["hypervisor_license_per_core_year"] == 350
    assert loaded.answers["vm_cpu_pinning"] is False and "special_networking" not in loaded.answers
    assert loaded.values()["tenant_count"] == 5 and loaded.values()["untrusted_tenants"] is False  # Enter: defaults
    assert set(loaded.values()) == set(questionnaire.keys())
    assert loaded.provenance is not None and loaded.provenance.complete is True


def test_ctrl_c_saves_partial_profile_and_resume_asks_only_the_rest(terminal, tmp_path, questionnaire):
    prompt = questionnaire.by_key
    term = terminal("assess", "--answered-by", "tester")
    # the select pointer starts on the default: web-services (first) and multi-team (second)
    given = {"workload_name": ["store-edge", ENTER], "workload_class": [DOWN] * 8 + [ENTER],  # edge
             "latency_p99_ms": ["20", ENTER], "jitter_sensitive": ["y"], "tenant_count": [ENTER],
             "untrusted_tenants": ["y"], "runs_untrusted_code": [ENTER]}
    # an edge workload makes the site type decisive (one more question in quick mode); untrusted tenants
    # make untrusted code decisive (one more), and untrusted code the sandbox (one more)
    totals = [len(QUICK)] * 2 + [len(QUICK) + 1] * 4 + [len(QUICK) + 2]
    for index, key in enumerate(given, start=1):
        term.question(index, totals[index - 1], prompt[key].prompt)
        term.send(*given[key])
    term.question(8, len(QUICK) + 3, prompt["compliance"].prompt)
    term.send(CTRL_C)
    assert term.finish() == 130, term.output()
    target = "store-edge.profile.yaml"
    assert f"advisor: stopped by Ctrl-C; 7 answers saved to {target}; resume with: advisor assess --profile {target}" \
        in term.output()

    partial = profiles.load(tmp_path / target, questionnaire)
    assert partial.answers == {"workload_name": "store-edge", "workload_class": "edge", "latency_p99_ms": 20.0,
                               "jitter_sensitive": True, "tenant_count": 5, "untrusted_tenants": True,
                               "runs_untrusted_code": True}
    assert partial.provenance is not None and partial.provenance.complete is False
    assert "complete: false" in (tmp_path / target).read_text(encoding="utf-8")
    assert not set(QUICK[6:]) & set(partial.values()), "unanswered quick questions must stay missing"

    # resume: only the 15 missing quick questions and the 2 follow-ups not yet answered, numbered from 1
    rest = [*QUICK[6:QUICK.index("existing_virtualization") + 1], "site_type",
            *QUICK[QUICK.index("priority_performance"):], "sandbox_runtime_acceptable"]
    term = terminal("assess", "--profile", target)
    for index, key in enumerate(rest, start=1):
        term.question(index, len(rest), prompt[key].prompt)
        if key == "physical_hosts":
            term.send("7", ENTER)
        else:
            term.send(ENTER)
    term.prompt("Save these answers?")
    term.send(ENTER)
    term.prompt("Who decides?")
    term.send(ENTER)  # left unnamed
    assert term.finish() == 0, term.output()
    assert "decision-makers: not named" in term.output()
    for key in given:
        assert f"] {prompt[key].prompt}" not in term.output(), f"{key} was asked again"

    final = profiles.load(tmp_path / target, questionnaire)
    assert final.provenance is not None and final.provenance.complete is True
    assert final.provenance.answered_by == "tester"  # kept from the first session
    assert "complete" not in (tmp_path / target).read_text(encoding="utf-8").split("provenance:")[1]
    assert {k: final.answers[k] for k in given} == partial.answers
    assert final.answers["physical_hosts"] == 7
    assert set(final.values()) == set(questionnaire.keys())




def test_ask_rewrite_keeps_hand_edited_comments_and_order(terminal, tmp_path, questionnaire, golden_dir):
    # a complete profile edited by hand: comments on their own lines and at line ends, answers reordered
    hand_edited = (golden_dir / "hand-edited.profile.yaml").read_text(encoding="utf-8")
    path = tmp_path / "payments.profile.yaml"
    path.write_text(hand_edited, encoding="utf-8")
    profiles.load(path, questionnaire)  # the hand-edited file is valid

    term = terminal("assess", "--profile", path.name, "--ask", "latency_p99_ms", "--answered-by", "bob")
    term.question(1, 1, questionnaire.by_key["latency_p99_ms"].prompt)
    term.wait("[Enter for 5;")
    term.send("2", ENTER)
    term.prompt("Save these answers?")
    term.send(ENTER)
    term.prompt("Who decides?")
    term.send("Payments platform board", ENTER)
    assert term.finish() == 0, term.output()

    text = path.read_text(encoding="utf-8")
    body, _, prov = text.partition("provenance:")
    expected_body = hand_edited.partition("provenance:")[0].replace(
        "latency_p99_ms: 5  # from the SLO document", "latency_p99_ms: 2  # from the SLO document")
    assert body == expected_body
    loaded = profiles.load(path, questionnaire)
    assert loaded.answers["latency_p99_ms"] == 2.0
    assert loaded.provenance is not None
    assert (loaded.provenance.created, loaded.provenance.updated) == ("2024-03-01T10:00:00Z", "2023-11-14T22:13:20Z")
    assert (loaded.provenance.answered_by, loaded.provenance.source) == ("bob", "interactive")


# ----------------------------------------------------------------- provenance, help, interrupts



def _answer_until(term: Terminal, questionnaire, keys: list[str], total: int, stop_at: int) -> None:
    """Press Enter (confirm what is shown) on the first ``stop_at`` questions; type a name for the first."""
    for index, key in enumerate(keys[:stop_at], start=1):
        term.question(index, total, questionnaire.by_key[key].prompt)
        term.send("svc" if key == "workload_name" else "", ENTER) if key == "workload_name" else term.send(ENTER)


def test_confirming_a_shown_default_is_an_answer(terminal, tmp_path, questionnaire):
    # Enter on "(y/N)", a typed 3 where 3 is the default, Enter on a select: all were shown, all are answers
    term = terminal("assess", "--no-record", "--measure", "never")
    _answer_until(term, questionnaire, QUICK, len(QUICK), 3)
    term.question(4, len(QUICK), questionnaire.by_key["jitter_sensitive"].prompt)
    term.send(ENTER)
    term.question(5, len(QUICK), questionnaire.by_key["tenant_count"].prompt)
    term.send(CTRL_C)
    assert term.finish() == 130, term.output()
    saved = profiles.load(tmp_path / "svc.profile.yaml", questionnaire)
    assert saved.answers == {"workload_name": "svc", "workload_class": "web-services", "latency_p99_ms": 200.0,
                             "jitter_sensitive": False}
    assert saved.origins() == dict.fromkeys(saved.answers, "answered")
    assert saved.defaults == {}, "a question never shown must not be frozen in a partial profile"


def test_ctrl_d_keeps_the_answers_like_ctrl_c(terminal, tmp_path, questionnaire):
    term = terminal("assess")
    _answer_until(term, questionnaire, QUICK, len(QUICK), 2)
    term.question(3, len(QUICK), questionnaire.by_key["latency_p99_ms"].prompt)
    term.send(CTRL_D)
    assert term.finish() == 130, term.output()
    assert ("advisor: stopped by Ctrl-D; 2 answers saved to svc.profile.yaml; "
            "resume with: advisor assess --profile svc.profile.yaml") in term.output()
    saved = profiles.load(tmp_path / "svc.profile.yaml", questionnaire)
    assert list(saved.answers) == ["workload_name", "workload_class"]
    assert saved.provenance is not None and saved.provenance.complete is False


def test_ctrl_c_before_the_first_answer_writes_nothing(terminal, tmp_path, questionnaire):
    term = terminal("assess", "--full")
    term.prompt(f"] {questionnaire.by_key['workload_name'].prompt}")
    term.send(CTRL_C)
    assert term.finish() == 130, term.output()
    assert "stopped by Ctrl-C before the first answer; nothing was saved; start again with: advisor assess --full" \
        in term.output()
    assert not list(tmp_path.glob("*.yaml"))


@pytest.mark.parametrize("sig", ["SIGHUP", "SIGTERM"])
def test_a_hangup_or_sigterm_at_save_keeps_every_answer(terminal, tmp_path, questionnaire, sig):
    import signal

    term = terminal("assess", "--no-record")
    _answer_until(term, questionnaire, QUICK, len(QUICK), len(QUICK))
    term.prompt("Save these answers?")
    os.kill(term.child.pid, getattr(signal, sig))
    assert term.finish() == 130, term.output()
    saved = profiles.load(tmp_path / "svc.profile.yaml", questionnaire)
    assert list(saved.answers) == QUICK
    assert saved.provenance is not None and saved.provenance.complete is False


def test_interrupted_full_run_resumes_in_full_mode_and_asks_every_unseen_question(terminal, tmp_path,
                                                                                    questionnaire):
    import re

    numbered = re.compile(r"\[(\d+)/(\d+)\] (.+?) ?\x1b")
    by_prompt = {q.prompt: q.key for q in questionnaire.questions}

    last = {"index": 0}

    def next_question(term: Terminal) -> tuple[int, int, str]:
        # a prompt is redrawn while it is answered: wait for the next number
        while True:
            index, total, text = term.prompt_matching(numbered)
            if int(index) > last["index"]:
                last["index"] = int(index)
                break
        if text not in by_prompt:
            text = re.sub(r" \([^()]+\)$", "", text)  # the unit shown after the prompt
        return int(index), int(total), by_prompt[text]

    term = terminal("assess", "--full", "--no-record", "--measure", "never")
    seen = []
    while len(seen) < 4:
        _, _, key = next_question(term)
        seen.append(key)
        term.send("svc", ENTER) if key == "workload_name" else term.send(ENTER)
    next_question(term)
    term.send(CTRL_C)
    assert term.finish() == 130, term.output()
    hint = "resume with: advisor assess --profile svc.profile.yaml --full --no-record --measure never"
    assert hint in term.output()

    # resume as told and interrupt again at the second question: nothing unseen may be frozen
    term = terminal(*hint.removeprefix("resume with: advisor ").split())
    last["index"] = 0
    _, _, key = next_question(term)
    seen.append(key)
    term.send(ENTER)
    next_question(term)
    term.send(CTRL_C)
    assert term.finish() == 130, term.output()
    assert hint in term.output()

    # the third run asks every remaining question that applies, in full mode
    term = terminal(*hint.removeprefix("resume with: advisor ").split())
    last["index"] = 0
    asked = []
    while True:
        index, total, key = next_question(term)
        asked.append(key)
        term.send(ENTER)
        if index == total:
            break
    term.prompt("Save these answers?")
    term.send(ENTER)
    assert term.finish() == 0, term.output()
    assert not set(asked) & set(seen)
    values = profiles.load(tmp_path / "svc.profile.yaml", questionnaire).values()
    applies = [q.key for q in questionnaire.questions if questionnaire.applies(q.key, values)]
    assert set(seen) | set(asked) == set(applies), "every full-mode question that applies was asked once"
    for key in ("special_networking", "virtualization_expertise", "bare_metal_automation", "cores_per_host",
                "site_type"):
        assert key in asked
    final = profiles.load(tmp_path / "svc.profile.yaml", questionnaire)
    assert final.provenance is not None and final.provenance.complete
    assert set(final.answers) == set(seen) | set(asked)


def test_the_resume_hint_of_the_quickstart_names_the_script_and_the_mode(terminal, tmp_path, questionnaire):
    # scripts/quickstart runs `advisor assess "$@"` and names itself in ADVISOR_INVOKED_AS
    script = (Path(__file__).resolve().parent.parent / "scripts" / "quickstart").read_text(encoding="utf-8")
    assert 'ADVISOR_INVOKED_AS="$0"' in script and "export ADVISOR_INVOKED_AS" in script
    assert 'advisor assess "$@"' in script
    term = terminal("assess", "--full", ADVISOR_INVOKED_AS="./scripts/quickstart")
    term.prompt(f"] {questionnaire.by_key['workload_name'].prompt}")
    term.send("svc", ENTER)
    term.prompt(f"] {questionnaire.by_key['workload_class'].prompt}")
    term.send(CTRL_C)
    assert term.finish() == 130, term.output()
    assert ("advisor: stopped by Ctrl-C; 1 answer saved to svc.profile.yaml; "
            "resume with: ./scripts/quickstart --profile svc.profile.yaml --full") in term.output()
    assert list(profiles.load(tmp_path / "svc.profile.yaml", questionnaire).answers) == ["workload_name"]


def test_question_mark_prints_the_full_help(terminal, questionnaire):
    term = terminal("assess", "--no-record")
    _answer_until(term, questionnaire, QUICK, len(QUICK), 1)
    term.question(2, len(QUICK), questionnaire.by_key["workload_class"].prompt)
    term.send("?")
    term.wait("Trading (trading): Order matching")
    term.wait("Profile key: workload_class")
    term.question(2, len(QUICK), questionnaire.by_key["workload_class"].prompt)  # asked again
    term.send(ENTER)
    term.question(3, len(QUICK), questionnaire.by_key["latency_p99_ms"].prompt)
    term.send("?", ENTER)
    term.wait("Allowed: give a number >= 0.001 and <= 3600000 ms")
    term.wait("Enter keeps: 200")
    term.question(3, len(QUICK), questionnaire.by_key["latency_p99_ms"].prompt)  # asked again, after the help
    term.send(CTRL_C)
    assert term.finish() == 130, term.output()
    assert "does not match" not in term.output() and "expected a number, got '?'" not in term.output()


def test_a_trading_workload_gets_a_sub_millisecond_latency_default(terminal, tmp_path, questionnaire):
    term = terminal("assess", "--no-record")
    _answer_until(term, questionnaire, QUICK, len(QUICK), 1)
    term.question(2, len(QUICK), questionnaire.by_key["workload_class"].prompt)
    term.send(*[DOWN] * 4, ENTER)  # trading (which makes three configuration questions decisive: 3 more)
    term.question(3, len(QUICK) + 3, questionnaire.by_key["latency_p99_ms"].prompt)
    term.wait("[Enter for 0.1;")
    term.send(ENTER)
    term.question(4, len(QUICK) + 3, questionnaire.by_key["jitter_sensitive"].prompt)
    term.send(CTRL_C)
    assert term.finish() == 130, term.output()
    saved = profiles.load(tmp_path / "svc.profile.yaml", questionnaire)
    assert saved.answers["workload_class"] == "trading"
    assert saved.answers["latency_p99_ms"] == 0.1


def test_quick_mode_asks_what_a_trading_workload_makes_decisive(terminal, tmp_path, questionnaire):
    """Trading switches on special networking, the VM I/O paths and pinning: asked in quick mode, in order."""
    term = terminal("assess", "--no-record")
    _answer_until(term, questionnaire, QUICK, len(QUICK), 1)
    term.question(2, len(QUICK), questionnaire.by_key["workload_class"].prompt)
    term.send(*[DOWN] * 4, ENTER)  # trading
    total = len(QUICK) + 3
    before_gpu = QUICK[2:QUICK.index("gpu") + 1]
    for index, key in enumerate(before_gpu, start=3):
        term.question(index, total, questionnaire.by_key[key].prompt)
        term.send(ENTER)
    index = 3 + len(before_gpu)
    term.question(index, total, questionnaire.by_key["special_networking"].prompt)
    term.send(DOWN, " ", ENTER)  # tick SR-IOV; None was ticked
    term.wait("selected: SR-IOV")
    term.question(index + 1, total, questionnaire.by_key["existing_virtualization"].prompt)
    term.send(ENTER)
    # the quick priorities come before the configuration questions in the file
    for offset, key in enumerate(QUICK[QUICK.index("priority_performance"):], start=2):
        term.question(index + offset, total, questionnaire.by_key[key].prompt)
        term.send(ENTER)
    term.question(total - 1, total, questionnaire.by_key["vm_io_paths"].prompt)
    term.send(ENTER)
    term.question(total, total, questionnaire.by_key["vm_cpu_pinning"].prompt)
    term.send(CTRL_C)
    assert term.finish() == 130, term.output()
    saved = profiles.load(tmp_path / "svc.profile.yaml", questionnaire)
    assert saved.answers["special_networking"] == ["sr-iov"]
    assert saved.answers["vm_io_paths"] == ["virtio", "sr-iov", "passthrough"]
    assert "hypervisor_license_per_core_year" not in saved.answers  # no estate: not decisive, not asked


def test_a_web_platform_on_vsphere_in_full_mode_is_asked_its_licence(terminal, tmp_path, questionnaire):
    """Full mode used to take the licence's default before vSphere was chosen, and never asked it."""
    conditional = ("hypervisor_license_per_core_year", "hosts_per_site", "edge_offline", "dedicated_hardware_required",
                   "pci_estate_in_scope", "platform_in_jurisdiction")  # asked given PCI DSS, residency: neither here
    estate = ("vm_pods_on_hypervisor", "hardware_lead_time_weeks", "capacity_needed_weeks")  # asked given vSphere
    full = [q.key for q in questionnaire.questions if q.key not in conditional + estate]
    more = 1 + len(estate)  # vSphere switches on the licence and the estate's questions
    term = terminal("assess", "--full", "--no-record")
    stop = full.index("existing_virtualization")
    _answer_until(term, questionnaire, full, len(full), stop)
    term.question(stop + 1, len(full), questionnaire.by_key["existing_virtualization"].prompt)
    term.send(DOWN, ENTER)  # vsphere: the licence question is switched on, in its place after the automation one
    for index, key in enumerate(["virtualization_expertise", "bare_metal_automation"], start=stop + 2):
        term.question(index, len(full) + more, questionnaire.by_key[key].prompt)
        term.send(ENTER)
    term.question(stop + 4, len(full) + more, questionnaire.by_key["hypervisor_license_per_core_year"].prompt)
    term.send("120", ENTER)
    term.question(stop + 5, len(full) + more, questionnaire.by_key["cores_per_host"].prompt)
    term.send(CTRL_C)
    assert term.finish() == 130, term.output()
    saved = profiles.load(tmp_path / "svc.profile.yaml", questionnaire)
    assert saved.answers["hypervisor_license_per_core_year"] == 120


def test_multi_select_unticks_none_and_names_the_selections(terminal, tmp_path, questionnaire):
    term = terminal("assess", "--no-record")
    _answer_until(term, questionnaire, QUICK, len(QUICK), 6)
    term.question(7, len(QUICK), questionnaire.by_key["compliance"].prompt)
    term.send(DOWN, " ", DOWN, DOWN, " ", ENTER)  # tick PCI DSS and SOC 2; None was ticked
    term.wait("selected: PCI DSS, SOC 2")
    # PCI DSS makes single-tenant hardware and confidential computing decisive: two more in quick mode
    term.question(8, len(QUICK) + 2, questionnaire.by_key["bare_metal_mandated"].prompt)
    term.send(CTRL_C)
    assert term.finish() == 130, term.output()
    saved = profiles.load(tmp_path / "svc.profile.yaml", questionnaire)
    assert saved.answers["compliance"] == ["pci-dss", "soc2"]

def test_ask_all_asks_every_question_of_the_mode_with_the_current_answers(terminal, tmp_path, questionnaire):
    path = tmp_path / "svc.profile.yaml"
    p = profiles.new(questionnaire)
    p.set_answer("workload_name", "svc")
    p.set_answer("latency_p99_ms", 7.0)
    for key in questionnaire.keys():
        if not p.has(key):
            p.set_default(key)
    p.write(path, source="set", answered_by="tester")

    term = terminal("assess", "--profile", path.name, "--ask", "all", "--no-record", "--measure", "never")
    for index, key in enumerate(QUICK, start=1):
        term.question(index, len(QUICK), questionnaire.by_key[key].prompt)
        if key == "latency_p99_ms":
            term.wait("[Enter for 7;")  # the current answer is the default shown
        term.send(ENTER)
    term.prompt("Save these answers?")
    term.send(ENTER)
    assert term.finish() == 0, term.output()
    saved = profiles.load(path, questionnaire)
    assert set(QUICK) <= set(saved.answers), "every question shown is now an answer"
    assert saved.answers["latency_p99_ms"] == 7.0


def test_ctrl_c_at_who_decides_keeps_the_profile_and_writes_no_record(terminal, tmp_path, questionnaire):
    path = tmp_path / "svc.profile.yaml"
    term = terminal("assess", "--set", "workload_name=svc", "--defaults", "--profile-output", path.name,
                    "--measure", "never")
    term.prompt("Who decides?")
    term.send(CTRL_C)
    assert term.finish() == 130, term.output()
    assert "no record was written" in term.output()
    assert "resume with: advisor assess --profile svc.profile.yaml" in term.output()
    assert not (tmp_path / "reports").exists() or not list((tmp_path / "reports").glob("0*.md"))
    assert profiles.load(path, questionnaire).values()["workload_name"] == "svc"
