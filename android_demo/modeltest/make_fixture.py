"""Writes what ModelPathTest compares against: a model, a real photo, its face boxes and `tfsr enhance`'s output.

Usage: .venv/bin/python android_demo/modeltest/make_fixture.py OUT_DIR

Into OUT_DIR:
- `model.tflite`: a small Low-to-High generator (seeded, untrained: the test is about the path, not the
  picture) exported by `export/convert.py` as `tfsr export` does, fp32 with a fixed batch of 2, so the
  one face of the photo also exercises the zero-padded slot the app fills the same way;
- `photo.jpg` (matplotlib's Grace Hopper portrait) and `photo.rgb`, its pixels as `tfsr enhance` reads
  them (`read_picture`), raw RGB rows, with `photo.txt` holding `height width`;
- `boxes.txt`: one `x y w h` line per face, found by the detector `tfsr enhance` builds by default;
- `reference.rgb`: the pixels of what `tfsr enhance photo.jpg --margin 0.25 --feather 0.15 --colour off
  --scale 1 --min-face 0 --max-face 0` wrote (the app's margin and feather; the app does no colour
  matching, pastes faces in place and serves every face size).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

#: FacePipeline.kt's MARGIN and FEATHER.
MARGIN = 0.25
FEATHER = 0.15
BATCH = 2


def main(out: Path) -> None:
    import keras
    import matplotlib.cbook
    import numpy as np

    from export.convert import convert_saved_model, write_saved_model
    from tfsr.faces.detection import YuNetDetector
    from tfsr.enhance.enhancer import DEFAULT_DETECT_SIDE, DEFAULT_THRESHOLD
    from tfsr.enhance.pictures import read_picture
    from tfsr.models.low_to_high import LowToHighGenerator

    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(0)
    generator = LowToHighGenerator(group_filters=(8, 8, 8), group_blocks=(1, 1, 1))
    generator(np.zeros((1, 16, 16, 3), np.float32))
    saved = write_saved_model(generator, batch_size=BATCH, directory=out / "saved_model")
    (out / "model.tflite").write_bytes(convert_saved_model(saved, "fp32", batch_size=BATCH))
    shutil.rmtree(out / "saved_model")

    photo = out / "photo.jpg"
    shutil.copyfile(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), photo)
    pixels = read_picture(photo)
    (out / "photo.rgb").write_bytes(np.ascontiguousarray(pixels[..., :3]).tobytes())
    (out / "photo.txt").write_text(f"{pixels.shape[0]} {pixels.shape[1]}\n")

    boxes = YuNetDetector(score_threshold=DEFAULT_THRESHOLD, max_side=DEFAULT_DETECT_SIDE).detect(pixels)
    if not boxes:
        raise SystemExit("no face found in the photo")
    (out / "boxes.txt").write_text("".join(f"{x} {y} {w} {h}\n" for x, y, w, h, _ in boxes))

    reference = out / "reference.png"
    tfsr = str(Path(sys.executable).with_name("tfsr"))
    command = [tfsr, "enhance", str(photo), "-o", str(reference), "--model", str(out / "model.tflite"),
               "--margin", str(MARGIN), "--feather", str(FEATHER), "--colour", "off", "--threads", "1",
               "--overwrite", "--quiet", "--scale", "1", "--min-face", "0", "--max-face", "0"]
    subprocess.run(command, check=True)
    enhanced = read_picture(reference)
    if enhanced.shape[:2] != pixels.shape[:2]:
        raise SystemExit(f"tfsr enhance wrote {enhanced.shape[:2]}, the photo is {pixels.shape[:2]}")
    (out / "reference.rgb").write_bytes(np.ascontiguousarray(enhanced[..., :3]).tobytes())
    print(f"fixture: {len(boxes)} face(s), photo {pixels.shape[1]}x{pixels.shape[0]}, in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]))
