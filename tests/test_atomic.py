"""`tfsr.atomic`: the new file or the old one, never a half, and never a temporary file left behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tfsr.atomic import atomic_write, replacing
from tfsr.enhance.pictures import write_picture
from tfsr.evaluation.fid import FeatureStatistics


class Boom(Exception):
    pass


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_replacing_renames_a_complete_file_into_place(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "model.keras"
    with replacing(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.endswith(".keras") and tmp != target
        assert not target.exists(), "the target must not appear before the block ends"
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert _names(target.parent) == ["model.keras"]


@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_an_error_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path, error: type[BaseException]) -> None:
    target = tmp_path / "config.yaml"
    target.write_text("old")
    with pytest.raises(error):
        with replacing(target) as tmp:
            tmp.write_text("half of the new")
            raise error()
    assert target.read_text() == "old"
    assert _names(tmp_path) == ["config.yaml"]


def test_atomic_write_text_and_bytes(tmp_path: Path) -> None:
    atomic_write(tmp_path / "a.txt", "héllo")
    atomic_write(tmp_path / "b.bin", b"\x00\xff")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "héllo"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\xff"
    assert _names(tmp_path) == ["a.txt", "b.bin"]


def test_writers_that_failed_midway_leave_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two of the six writers once leaked their temporary file on error: the FID statistics and the demo cache.
    def broken_savez(*args: object, **kwargs: object) -> None:
        Path(args[0]).write_bytes(b"partial")
        raise Boom()

    monkeypatch.setattr(np, "savez", broken_savez)
    stats = FeatureStatistics(mu=np.zeros(2), sigma=np.eye(2), count=2)
    with pytest.raises(Boom):
        stats.save(tmp_path / "stats.npz")
    assert _names(tmp_path) == []


def test_a_picture_that_cannot_be_encoded_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(Exception):
        write_picture(tmp_path / "out.png", np.zeros((4, 4, 7), np.uint8))  # 7 channels: no PNG mode
    assert _names(tmp_path) == []
