"""`tfsr.faces.detection` and `tfsr prepare`: faces found in real photos, cropped, listed, and resumed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tfsr.cli import main
from tfsr.data import demo
from tfsr.faces.detection import FaceDetector, YuNetDetector


@pytest.fixture(scope="module")
def photos():
    return demo.photos()


def test_yunet_finds_the_faces_and_maps_boxes_back_from_downscaling(photos):
    detector = YuNetDetector(score_threshold=0.5, max_side=0)
    assert isinstance(detector, FaceDetector)
    astronaut = photos["astronaut"]
    (x, y, w, h, score), = detector.detect(astronaut)
    assert 0.5 <= score <= 1 and 60 < w < 130 and 60 < h < 150
    # The astronaut's face is in the upper middle of the picture.
    assert 150 < x + w / 2 < 300 and 50 < y + h / 2 < 200
    big = np.asarray(Image.fromarray(astronaut).resize((1536, 1536)))
    (bx, by, bw, bh, _), = YuNetDetector(score_threshold=0.5, max_side=512).detect(big)
    np.testing.assert_allclose([bx, by, bw, bh], np.array([x, y, w, h]) * 3, atol=9)
    assert YuNetDetector(0.5).detect(np.full((200, 200, 3), 127, np.uint8)) == []
    assert YuNetDetector(0.999).detect(astronaut) == []
    with pytest.raises(ValueError, match="score_threshold"):
        YuNetDetector(score_threshold=2)


def test_prepare_writes_crops_and_manifest_and_resumes(tmp_path, photos, capsys):
    src = tmp_path / "photos"
    (src / "nested").mkdir(parents=True)
    for name, image in photos.items():
        Image.fromarray(image).save(src / f"{name}.jpg")
    Image.fromarray(np.full((120, 160, 3), 90, np.uint8)).save(src / "nested" / "wall.png")
    (src / "nested" / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    out = tmp_path / "out"
    assert main(["prepare", str(src), str(out), "--kind", "hr", "--workers", "2", "--no-progress"]) == 0
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    faces = [r for r in rows if r["crop"]]
    assert sorted(r["source"] for r in faces) == ["astronaut.jpg", "camera.jpg", "grace_hopper.jpg"]
    for r in faces:
        crop = np.asarray(Image.open(out / r["crop"]))
        assert crop.shape == (64, 64, 3) and 0.5 <= r["score"] <= 1 and len(r["box"]) == 4
    assert {r["source"] for r in rows if not r["crop"]} == {"nested/wall.png", "nested/broken.jpg"}
    assert "error" in next(r for r in rows if r["source"] == "nested/broken.jpg")
    assert (out / "unreadable.txt").read_text().strip() == "nested/broken.jpg"
    assert "3 faces written, 1 photos without faces, 1 unreadable" in capsys.readouterr().out
    # A second run finds everything done; a new photo is the only work.
    Image.fromarray(photos["astronaut"][:, ::-1]).save(src / "mirrored.png")
    assert main(["prepare", str(src), str(out), "--no-progress", "--workers", "1"]) == 0
    assert "6 photos (5 already done): 1 faces written" in capsys.readouterr().out
    assert len((out / "manifest.jsonl").read_text().splitlines()) == len(rows) + 1


def test_prepare_lr_kind_and_errors(tmp_path, photos, capsys):
    Image.fromarray(photos["grace_hopper"]).save(tmp_path / "g.jpg")
    assert main(["prepare", str(tmp_path / "g.jpg"), str(tmp_path / "lr"), "--kind", "lr", "--no-progress"]) == 0
    (row,) = [json.loads(line) for line in (tmp_path / "lr" / "manifest.jsonl").read_text().splitlines()]
    assert np.asarray(Image.open(tmp_path / "lr" / row["crop"])).shape == (16, 16, 3)
    (tmp_path / "empty").mkdir()
    assert main(["prepare", str(tmp_path / "empty"), str(tmp_path / "o")]) == 2
    assert main(["prepare", str(tmp_path / "missing"), str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "empty: no images" in err and "missing: no such file or folder" in err


def test_prepare_reads_gif_and_tiff_and_lists_every_other_file(tmp_path, photos, capsys):
    src = tmp_path / "photos"
    src.mkdir()
    Image.fromarray(photos["astronaut"]).convert("P", palette=Image.Palette.ADAPTIVE).save(src / "astronaut.gif")
    Image.fromarray(photos["camera"][..., 0].astype(np.uint16) * 257).save(src / "camera.tif")
    Image.fromarray(photos["grace_hopper"]).save(src / "hopper.tiff")
    (src / "notes.txt").write_text("not a photo")
    out = tmp_path / "out"
    assert main(["prepare", str(src), str(out), "--no-progress", "--workers", "1"]) == 0
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert sorted(r["source"] for r in rows if r["crop"]) == ["astronaut.gif", "camera.tif", "hopper.tiff"]
    assert (out / "skipped.txt").read_text() == "notes.txt: not a picture format (.txt)\n"
    printed = capsys.readouterr().out
    assert "3 faces written" in printed and "1 other files skipped" in printed and "skipped notes.txt" in printed
