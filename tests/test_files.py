"""Files are written whole or not at all."""

import pytest

from matcher.files import atomic_write, atomic_write_bytes, atomic_write_text


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    path = atomic_write_text(tmp_path / "out.txt", "old")

    def fail(temporary):
        temporary.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(path, fail)
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_modes_private_or_kept(tmp_path):
    secret = atomic_write_bytes(
        tmp_path / "model.bin", lambda handle: handle.write(b"x"), private=True
    )
    assert secret.stat().st_mode & 0o777 == 0o600
    shared = atomic_write_text(tmp_path / "report.html", "<p>")
    shared.chmod(0o640)
    atomic_write_text(shared, "<p>again")
    assert shared.stat().st_mode & 0o777 == 0o640 and shared.read_text() == "<p>again"
