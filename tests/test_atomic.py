"""advisor.atomic.write_text: readers see the old file or the whole new one, never half; exclusive never overwrites."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from advisor import atomic
from advisor.errors import DataError


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_writes_utf8_with_lf_line_ends(tmp_path: Path) -> None:
    target = tmp_path / "p.yaml"
    atomic.write_text(target, "a: é\nb: 2\n")
    assert target.read_bytes() == "a: é\nb: 2\n".encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert leftovers(tmp_path) == []


def test_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "p.yaml"
    target.write_text("old\n", encoding="utf-8")
    os.chmod(target, 0o600)
    atomic.write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == []


def test_creates_missing_directories_and_accepts_str_paths(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "p.yaml"
    atomic.write_text(str(target), "x\n")
    assert target.read_text(encoding="utf-8") == "x\n"


def test_relative_path_in_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    atomic.write_text("p.yaml", "x\n")
    assert (tmp_path / "p.yaml").read_text(encoding="utf-8") == "x\n"


def test_failure_while_writing_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "p.yaml"
    target.write_text("old\n", encoding="utf-8")

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", no_space)
    with pytest.raises(DataError) as info:
        atomic.write_text(target, "new\n" * 1000)
    assert info.value.format() == f"{target}: cannot write file (No space left on device); " \
                                  "check the directory and its permissions"
    assert target.read_text(encoding="utf-8") == "old\n"
    assert leftovers(tmp_path) == []


def test_failure_on_rename_leaves_the_old_file_and_no_temporary(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "p.yaml"
    target.write_text("old\n", encoding="utf-8")

    def refuse(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(DataError, match=r"cannot write file \(Permission denied\)"):
        atomic.write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert leftovers(tmp_path) == []


def test_interrupt_while_writing_propagates_and_leaves_no_partial_file(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "p.yaml"

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_text(target, "new\n")
    assert not target.exists()
    assert leftovers(tmp_path) == []


def test_unencodable_text_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "p.yaml"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        atomic.write_text(target, "lone \ud800 surrogate\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert leftovers(tmp_path) == []


def test_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match=r"cannot write file \(.*\); check the directory and its permissions"):
        atomic.write_text(tmp_path / "file" / "p.yaml", "x\n")


def test_exclusive_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "p.yaml"
    atomic.write_text(target, "first\n", exclusive=True)
    assert target.read_text(encoding="utf-8") == "first\n"
    with pytest.raises(DataError) as info:
        atomic.write_text(target, "second\n", exclusive=True)
    assert info.value.format() == f"{target}: file already exists; choose another name; existing files are never " \
                                  "overwritten"
    assert target.read_text(encoding="utf-8") == "first\n"
    assert leftovers(tmp_path) == []


def test_exclusive_loses_a_race_without_overwriting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process creates the file between the check and the rename: theirs is kept."""
    target = tmp_path / "p.yaml"
    real_link = os.link

    def racing_link(src: str, dst: str) -> None:
        Path(dst).write_text("theirs\n", encoding="utf-8")
        real_link(src, dst)

    monkeypatch.setattr(atomic.os, "link", racing_link)
    with pytest.raises(DataError, match="file already exists"):
        atomic.write_text(target, "ours\n", exclusive=True)
    assert target.read_text(encoding="utf-8") == "theirs\n"
    assert leftovers(tmp_path) == []


def test_exclusive_does_not_follow_a_dangling_symlink(tmp_path: Path) -> None:
    target = tmp_path / "p.yaml"
    target.symlink_to(tmp_path / "elsewhere.yaml")
    with pytest.raises(DataError, match="file already exists"):
        atomic.write_text(target, "x\n", exclusive=True)
    assert not (tmp_path / "elsewhere.yaml").exists()


# ----------------------------------------------------------------- what is there is respected


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("old\n")
    link = tmp_path / "link.yaml"
    link.symlink_to("real.yaml")
    atomic.write_text(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == "real.yaml"
    assert real.read_text() == "new\n"


@pytest.mark.parametrize("make", ["fifo", "directory", "dangling", "device"])
def test_a_special_file_is_never_replaced(tmp_path: Path, make: str) -> None:
    target = tmp_path / "out.yaml"
    if make == "fifo":
        os.mkfifo(target)
        message = "is a FIFO (named pipe), not a regular file; it was left as it is"
    elif make == "directory":
        target.mkdir()
        message = "is a directory, not a regular file; it was left as it is"
    elif make == "dangling":
        target.symlink_to(tmp_path / "missing")
        message = "is a symlink to a missing file"
    else:
        target.symlink_to("/dev/null")
        message = "is a symlink to a character device, not a regular file; it was left as it is"
    before = os.lstat(target)
    with pytest.raises(DataError) as err:
        atomic.write_text(target, "x\n")
    assert err.value.first.message == message
    after = os.lstat(target)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert leftovers(tmp_path) == []


def test_a_device_node_is_never_replaced(tmp_path: Path) -> None:
    target = tmp_path / "null"
    try:
        os.mknod(target, 0o666 | stat.S_IFCHR, os.stat("/dev/null").st_rdev)
    except PermissionError:
        pytest.skip("creating a device node needs root")
    with pytest.raises(DataError, match="is a character device, not a regular file"):
        atomic.write_text(target, "x\n")
    assert stat.S_ISCHR(os.lstat(target).st_mode)
