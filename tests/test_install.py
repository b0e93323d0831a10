"""Install anywhere: the wheel, pipx and the quickstart, as a new user runs them.

Each test builds or installs the real thing outside the checkout (in a temporary
folder) and runs the commands a user would: ``advisor rules test``, ``advisor
questions --format json`` and a non-interactive ``assess`` that writes a record. They
need the network or a pip cache for the dependencies, and take tens of seconds each
(marked slow).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths of venvs")]

#: Lines of a build log that are not about the project (pip's environment says bytecode is off).
_NOT_OURS = re.compile(r"byte-compiling is disabled|Location 'file:")


K8S_TARGETS = """\
advisor_targets: 1
targets:
  - {name: metal, role: bare-metal, runner: kubernetes, image: registry.example/probe:1, node_selector: {pool: metal}}
  - {name: vm, role: vm, runner: kubernetes, image: registry.example/probe:1, node_selector: {pool: vm}}
"""


def _env(**extra: str) -> dict[str, str]:
    # without PYTHONDONTWRITEBYTECODE (set in CI), as on a user's machine: the first run of an install made with
    # `--no-compile` writes the bytecode of the modules it imports, where pip would have compiled every module of
    # every dependency (7 of the 10 CPU seconds of an install, most of it for modules advisor never imports)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ADVISOR_", "PYTEST_", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV",
                                "PYTHONDONTWRITEBYTECODE"))}
    env.update({"SOURCE_DATE_EPOCH": "1700000000", "NO_COLOR": "1", **extra})
    return env


def _run(args: list[str | Path], cwd: Path, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=_env(**env), capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, f"{args} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc


def _warnings(log: str) -> list[str]:
    return [line for line in log.splitlines()
            if re.search(r"warn|deprecat", line, re.IGNORECASE) and not _NOT_OURS.search(line)]


def _copy_checkout(dest: Path) -> Path:
    """The files git knows (tracked and new, not ignored), as a fresh clone of this working tree has them."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def _user_session(advisor: Path, work: Path) -> None:
    """What a new user runs after installing: rule tests, the questions as JSON, an assessment with a record."""
    tests = _run([advisor, "rules", "test"], work)
    assert re.search(r"\b0 failed\b", tests.stdout), tests.stdout
    data = json.loads(_run([advisor, "questions", "--format", "json"], work).stdout)
    assert data[0]["key"] == "workload_name" and len(data) >= 10
    _run([advisor, "assess", "--set", "workload_name=payments", "--defaults", "--date", "2026-11-30",
          "--records-dir", "records"], work)
    md = sorted((work / "records").glob("0001-*.md"))
    assert md and (work / "records" / md[0].with_suffix(".json").name).is_file(), list((work / "records").iterdir())
    twin = json.loads(md[0].with_suffix(".json").read_text(encoding="utf-8"))
    assert [p["path"] for p in twin["rules"]["packs"]] == ["rules"]  # the bundled pack, named as in the repository


def test_wheel_in_a_clean_venv_outside_the_checkout(tmp_path: Path) -> None:
    # built from a copy: setuptools builds in the source folder, and a build/ left in the checkout keeps files
    # deleted since (a removed rule would still be packaged by the next build)
    build = _run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--disable-pip-version-check",
                  "-w", tmp_path / "dist", _copy_checkout(tmp_path / "checkout")], tmp_path)
    assert not _warnings(build.stdout + build.stderr), "\n".join(_warnings(build.stdout + build.stderr))
    wheel = next((tmp_path / "dist").glob("advisor-*.whl"))
    # the licence travels with the package: its text in the wheel, its SPDX expression in the metadata (PEP 639)
    with zipfile.ZipFile(wheel) as built:
        names = built.namelist()
        licence = [n for n in names if re.fullmatch(r"advisor-[^/]+\.dist-info/licenses/LICENSE", n)]
        assert licence, [n for n in names if ".dist-info/" in n]
        assert "Apache License" in built.read(licence[0]).decode()
        metadata = built.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: Apache-2.0" in metadata and "License-File: LICENSE" in metadata
    venv = tmp_path / "venv"
    # a clean venv, filled by this environment's pip (`pip --python`): the same install into the same empty
    # environment as the venv's own pip would do, without ensurepip's 4 s of setting up a pip that installs once
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path)
    _run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--quiet", "--no-compile",
          "--disable-pip-version-check", wheel], tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    advisor = venv / "bin" / "advisor"
    _user_session(advisor, work)

    # the bundled files are inside the installed package, and `path` says where
    rules = Path(_run([advisor, "rules", "path"], work).stdout.strip())
    default = Path(_run([advisor, "questions", "path"], work).stdout.strip())
    assert rules.is_relative_to(venv) and (rules / "pack.yaml").is_file(), rules
    assert default.is_relative_to(venv) and default.name == "default.yaml", default
    assert not ROOT.resolve().is_relative_to(tmp_path.resolve())

    # without the kubernetes extra, a kubernetes target is refused before anything runs, naming the extra
    (work / "k8s.yaml").write_text(K8S_TARGETS, encoding="utf-8")
    for args in (["measure", "--targets", "k8s.yaml"],
                 ["assess", "--set", "workload_name=k8s", "--defaults", "--targets", "k8s.yaml"]):
        proc = subprocess.run([str(advisor), *args], cwd=work, env=_env(), capture_output=True, text=True,
                              check=False)
        assert proc.returncode == 2, proc.stderr
        assert "pip install 'advisor[kubernetes]'" in proc.stderr, proc.stderr
        assert "Profile written" not in proc.stderr and not (work / "k8s.profile.yaml").exists()

    # a broken installation is named as such, not blamed on the user
    default.unlink()
    proc = subprocess.run([str(advisor), "questions"], cwd=work, env=_env(), capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 1, proc.stderr
    assert "missing from this installation" in proc.stderr and "reinstall" in proc.stderr, proc.stderr
    assert "check the path" not in proc.stderr and "Traceback" not in proc.stderr


def test_pipx_install_of_the_checkout(tmp_path: Path) -> None:
    pipx = shutil.which("pipx")
    if pipx is None:
        pytest.skip("pipx is not installed (scripts/test-tools installs it from Debian)")
    home, bin_dir = tmp_path / "pipx-home", tmp_path / "bin"
    _run([pipx, "install", "--pip-args=--no-compile", _copy_checkout(tmp_path / "checkout")], tmp_path,
         PIPX_HOME=str(home), PIPX_BIN_DIR=str(bin_dir))  # no-compile: see _env
    work = tmp_path / "work"
    work.mkdir()
    _user_session(bin_dir / "advisor", work)
    rules = Path(_run([bin_dir / "advisor", "rules", "path"], work).stdout.strip())
    assert rules.is_relative_to(home), rules


def test_quickstart_on_a_fresh_clone_prints_no_warning_before_the_first_question(tmp_path: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    clone = _copy_checkout(tmp_path / "clone")
    env = _env(TERM="xterm", COLUMNS="120", LINES="40", PROMPT_TOOLKIT_NO_CPR="1")
    child = pexpect.spawn("sh", [str(clone / "scripts" / "quickstart")], cwd=str(clone), env=env,
                          encoding="utf-8", dimensions=(40, 120), timeout=600)
    started = time.monotonic()
    try:
        child.expect_exact("Name of the workload or platform")
        before = child.before or ""
    finally:
        child.terminate(force=True)
    assert time.monotonic() - started < 600
    assert not _warnings(before), before
    assert (clone / ".venv" / "bin" / "advisor").exists()
    # every extra is installed: the Kubernetes client is there
    _run([clone / ".venv" / "bin" / "python", "-c", "import kubernetes"], clone)
