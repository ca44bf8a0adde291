"""The one file-tail primitive (FileTail) and the control file polled through it."""

from __future__ import annotations

import os

import pytest

from gantool.run import ControlFile, FileTail, send


def append(path, text: str) -> None:
    with open(path, "a") as fh:
        fh.write(text)


def test_a_half_written_line_is_kept_back_until_its_newline(tmp_path):
    path = tmp_path / "log"
    tail = FileTail(path)
    assert tail.read_lines() == ([], False)  # not there yet: nothing, no error
    append(path, "one\ntw")
    assert tail.read_lines() == ([b"one"], False)
    append(path, "o")
    assert tail.read_lines() == ([], False)
    append(path, "\nthree\n")
    assert tail.read_lines() == ([b"two", b"three"], False)
    assert tail.read_lines() == ([], False)


def test_truncation_starts_over(tmp_path):
    path = tmp_path / "log"
    path.write_text("a\nb\nc\nhalf")
    tail = FileTail(path)
    assert tail.read_lines() == ([b"a", b"b", b"c"], False)
    inode = path.stat().st_ino
    path.write_text("x\n")  # same inode, shorter: the half line before is gone too
    assert path.stat().st_ino == inode
    assert tail.read_lines() == ([b"x"], True)


def test_a_replaced_file_starts_over_even_when_it_is_longer(tmp_path):
    path = tmp_path / "log"
    path.write_text("a\n")
    tail = FileTail(path)
    assert tail.read_lines() == ([b"a"], False)
    new = tmp_path / "new"
    new.write_text("0\n1\n2\n")
    os.replace(new, path)  # an atomic rewrite: another inode, and larger than the offset
    assert tail.read_lines() == ([b"0", b"1", b"2"], True)


def test_deleted_then_recreated_is_read_from_its_start(tmp_path):
    path = tmp_path / "log"
    path.write_text("old\n")
    tail = FileTail(path)
    keep = tmp_path / "keep"  # hold the old inode so the new file cannot reuse its number
    os.link(path, keep)
    assert tail.read_lines() == ([b"old"], False)
    path.unlink()
    assert tail.read_lines() == ([], False)
    path.write_text("new\nlonger line\n")
    assert tail.read_lines() == ([b"new", b"longer line"], True)


def test_from_end_skips_what_was_there(tmp_path):
    path = tmp_path / "log"
    path.write_text("history\n")
    tail = FileTail(path, from_end=True)
    assert tail.read_lines() == ([], False)
    append(path, "news\n")
    assert tail.read_lines() == ([b"news"], False)
    assert FileTail(tmp_path / "missing", from_end=True).read_lines() == ([], False)


def test_control_file_reads_new_known_commands_only(tmp_path):
    send(tmp_path, "stop")  # before the trainer started: history
    control = ControlFile(tmp_path / "control", interval=60)
    assert control.due() and control.poll() == []
    assert not control.due()  # the next poll waits for the interval
    send(tmp_path, "pause")
    append(tmp_path / "control", "STOP\nplease\nsamp")  # case-insensitive; typos ignored; half a word waits
    assert control.poll() == ["pause", "stop"]
    append(tmp_path / "control", "le\n")
    assert control.poll() == ["sample"]
    (tmp_path / "control").write_text("resume\n")  # truncated and rewritten: read from the start
    assert control.poll() == ["resume"]


def test_send_refuses_unknown_commands(tmp_path):
    with pytest.raises(ValueError, match="unknown control command 'halt'"):
        send(tmp_path, "halt")
    assert not (tmp_path / "control").exists()
