"""`tfsr enhance` on pictures and folders: formats, EXIF, gray and alpha, bad files, skipping, output modes,
the scale rule and the memory budget from the command line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

from tfsr.cli import main
from tfsr.enhance.pictures import read_picture, write_picture


#: Today's in-place result: faces pasted at their own size, every face size served.
IN_PLACE = ["--scale", "1", "--min-face", "0", "--max-face", "0"]
UPRIGHT = skimage.data.astronaut()[:, 40:440]  # 512 rows x 400 columns, the face upright


@pytest.fixture()
def folder(tmp_path) -> Path:
    """A tree of pictures: a sideways JPEG with an EXIF rotation, RGBA PNG, gray PNG, WebP, no face, a broken file."""
    import matplotlib.cbook

    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    Image.fromarray(np.rot90(UPRIGHT, k=1)).save(root / "sideways.jpg", exif=exif, quality=95)
    alpha = np.tile(np.linspace(0, 255, 512).astype(np.uint8)[None, :], (512, 1))
    write_picture(root / "sub" / "rgba.png", np.dstack([skimage.data.astronaut(), alpha]))
    write_picture(root / "sub" / "gray.png", skimage.data.camera())
    hopper = read_picture(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    write_picture(root / "sub" / "hopper.webp", hopper)
    write_picture(root / "noface.png", np.random.default_rng(0).integers(0, 256, (64, 96, 3)).astype(np.uint8))
    (root / "sub" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    return root


def test_a_folder_is_enhanced_recursively_with_failures_listed_at_the_end(model_file, folder, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    code = main(["enhance", str(folder), "-o", str(out), "--model", str(model_file), "--quiet", *IN_PLACE])
    captured = capsys.readouterr()
    assert code == 1
    assert "1 pictures failed" in captured.err and "broken.jpg" in captured.err
    assert "5 pictures enhanced" in captured.out
    assert not (out / "sub" / "broken.jpg").exists()

    sideways = read_picture(out / "sideways.jpg")
    assert sideways.shape == UPRIGHT.shape  # written upright
    far = (slice(450, 512), slice(0, 60))  # a corner away from the face: only JPEG noise
    assert np.abs(sideways[far].astype(int) - UPRIGHT[far].astype(int)).mean() < 4
    assert np.abs(sideways.astype(int) - UPRIGHT.astype(int)).max() > 60  # the face was replaced

    rgba_in, rgba_out = read_picture(folder / "sub" / "rgba.png"), read_picture(out / "sub" / "rgba.png")
    assert rgba_out.shape == (512, 512, 4)
    np.testing.assert_array_equal(rgba_out[..., 3], rgba_in[..., 3])
    assert (rgba_out[..., :3] != rgba_in[..., :3]).any()

    gray_in, gray_out = read_picture(folder / "sub" / "gray.png"), read_picture(out / "sub" / "gray.png")
    assert gray_out.shape == (512, 512) and (gray_out != gray_in).any()
    hopper_in, hopper_out = read_picture(folder / "sub" / "hopper.webp"), read_picture(out / "sub" / "hopper.webp")
    assert hopper_out.shape == hopper_in.shape and (hopper_out != hopper_in).any()
    # No face in the noise: the same file, byte for byte.
    assert (out / "noface.png").read_bytes() == (folder / "noface.png").read_bytes()


def test_a_second_run_skips_what_is_done(model_file, folder, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    main(["enhance", str(folder), "-o", str(out), "--model", str(model_file), "--quiet", *IN_PLACE])
    before = (out / "sideways.jpg").stat().st_mtime_ns
    capsys.readouterr()
    code = main(["enhance", str(folder), "-o", str(out), "--model", str(model_file), "--quiet", *IN_PLACE])
    assert code == 1  # the broken file still fails
    assert "0 pictures enhanced" in capsys.readouterr().out
    assert (out / "sideways.jpg").stat().st_mtime_ns == before


def test_an_output_folder_inside_the_input_is_not_enhanced_again(model_file, folder, capsys) -> None:
    for name in ("broken.jpg", "rgba.png", "gray.png", "hopper.webp"):
        (folder / "sub" / name).unlink()
    out = folder / "enhanced"
    assert main(["enhance", str(folder), "-o", str(out), "--model", str(model_file), "--quiet", *IN_PLACE]) == 0
    assert main(["enhance", str(folder), "-o", str(out), "--model", str(model_file), "--quiet", "--overwrite", *IN_PLACE]) == 0
    assert not (out / "enhanced").exists()
    assert "2 pictures enhanced" in capsys.readouterr().out.splitlines()[-1]


def test_side_by_side_and_faces_only_follow_the_scale(model_file, tmp_path) -> None:
    from tfsr import faces
    from tfsr.faces.detection import YuNetDetector

    photo = tmp_path / "astronaut.png"
    write_picture(photo, skimage.data.astronaut())
    every_size = ["--model", str(model_file), "--min-face", "0", "--max-face", "0"]
    assert main(["enhance", str(photo), "-o", str(tmp_path / "grid.png"), *every_size, "--side-by-side", "--panel", "96"]) == 0
    grid = read_picture(tmp_path / "grid.png")
    assert grid.shape == (96, 3 * 96 + 2 * 4, 3)  # one face: crop, bicubic x4, tfsr x4
    assert main(["enhance", str(photo), "-o", str(tmp_path / "faces.png"), *every_size, "--faces-only", "-s", "2"]) == 0
    box = YuNetDetector(0.6).detect(skimage.data.astronaut())[0]
    side = faces.square_box(box[:4], faces.FACE_MARGIN, (512, 512))[2]
    assert read_picture(tmp_path / "faces_face0.png").shape == (2 * side, 2 * side, 3)  # the face at 2x its square
    assert not (tmp_path / "faces_face1.png").exists()
    # By default a face this large is not one the model serves: no face to write, nothing written.
    assert main(["enhance", str(photo), "-o", str(tmp_path / "none.png"), "--model", str(model_file), "--faces-only"]) == 0
    assert not (tmp_path / "none_face0.png").exists()


def test_picture_errors(model_file, tmp_path, capsys) -> None:
    photo = tmp_path / "a.png"
    write_picture(photo, skimage.data.astronaut())
    assert main(["enhance", str(photo), "--model", str(model_file)]) == 2
    assert "-o/--output" in capsys.readouterr().err
    assert main(["enhance", str(tmp_path / "nope.png"), "-o", str(tmp_path / "b.png"), "--model", str(model_file)]) == 2
    assert "nope.png" in capsys.readouterr().err
    assert main(["enhance", str(photo), "-o", str(tmp_path / "b.txt"), "--model", str(model_file)]) == 1
    assert "b.txt" in capsys.readouterr().err
    assert main(["enhance", str(photo), "-o", str(tmp_path / "b.png"), "--model", str(model_file), "--feather", "0.9"]) == 2
    assert "feather" in capsys.readouterr().err
    assert main(["enhance", str(photo), "-o", str(tmp_path / "b.png"), "--model", str(model_file), "--every", "0"]) == 2
    assert "--every 0" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["enhance", str(empty), "-o", str(tmp_path / "c"), "--model", str(model_file)]) == 2
    assert "no pictures" in capsys.readouterr().err


def test_sixteen_bit_and_broken_pictures(tmp_path):
    from tfsr.errors import DataError

    deep = np.random.default_rng(0).integers(0, 65536, (64, 64), dtype=np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    pixels = read_picture(tmp_path / "deep.png")
    assert pixels.shape == (64, 64, 3) and pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels[..., 0], np.round(deep / 257.0).astype(np.uint8))
    data = (tmp_path / "deep.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.png: unreadable picture"):
        read_picture(tmp_path / "cut.png")


def test_every_file_of_a_folder_is_enhanced_or_listed_as_skipped_with_the_reason(model_file, tmp_path, capsys) -> None:
    import cv2

    root = tmp_path / "mixed"
    root.mkdir()
    small = skimage.data.astronaut()[::8, ::8]  # 64x64
    Image.fromarray(small).convert("P", palette=Image.Palette.ADAPTIVE).save(root / "palette.gif")
    frames = [Image.fromarray(small), Image.fromarray(small[::-1])]
    frames[0].save(root / "moving.gif", save_all=True, append_images=frames[1:], duration=100)
    Image.fromarray((skimage.data.camera()[::8, ::8].astype(np.uint16) * 257)).save(root / "deep.tif")
    Image.fromarray(small).save(root / "plain.tiff")
    cv2.imwrite(str(root / "radiance.pic"), (small[..., ::-1] / 255.0).astype(np.float32))  # only OpenCV reads it
    (root / "notes.txt").write_text("not a picture")
    (root / "clip.mp4").write_bytes(b"\x00" * 16)
    (root / "README").write_text("no extension")
    out = tmp_path / "out"
    code = main(["enhance", str(root), "-o", str(out), "--model", str(model_file), "--quiet", "-s", "2"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "5 pictures enhanced at --scale 2" in printed and "3 other files skipped" in printed
    assert f"skipped {root / 'notes.txt'}: not a picture format (.txt)" in printed
    assert f"skipped {root / 'clip.mp4'}: a video (.mp4): enhance it on its own" in printed
    assert f"skipped {root / 'README'}: not a picture format (no extension)" in printed
    # Formats not written here become PNGs beside their name; the others keep theirs. All at 2x.
    assert read_picture(out / "palette.gif.png").shape == (128, 128, 3)
    assert read_picture(out / "moving.gif.png").shape == (128, 128, 3)  # the first frame
    assert read_picture(out / "deep.tif").shape == (128, 128, 3)  # 16-bit gray is read as RGB (top 8 bits)
    assert read_picture(out / "plain.tiff").shape == (128, 128, 3)
    radiance = read_picture(out / "radiance.pic.png")
    assert radiance.shape == (128, 128, 3)
    assert np.abs(radiance.astype(int) - cv2.resize(small, (128, 128), interpolation=cv2.INTER_CUBIC)).mean() < 3


def test_bad_scales_and_an_output_over_the_budget_are_refused_and_nothing_is_written(model_file, tmp_path, capsys) -> None:
    photo = tmp_path / "p.png"
    write_picture(photo, skimage.data.astronaut()[::4, ::4])  # 128x128
    out = tmp_path / "o.png"
    for bad in ("0", "-1", "2.5", "x", "4x"):
        with pytest.raises(SystemExit) as exited:
            main(["enhance", str(photo), "-o", str(out), "--model", str(model_file), "--scale", bad])
        assert exited.value.code == 2
        assert "must be a positive integer" in capsys.readouterr().err
    code = main(["enhance", str(photo), "-o", str(out), "--model", str(model_file), "--max-output-mb", "0.1"])
    err = capsys.readouterr().err
    assert code == 1 and "128x128 picture at --scale 4 makes a 512x512 output (1 MB)" in err and "--tile 256" in err
    assert not out.exists() and not list(tmp_path.glob(".*part*"))
    # Tiles: each within the budget, together the whole picture.
    code = main(["enhance", str(photo), "-o", str(out), "--model", str(model_file), "--max-output-mb", "0.3", "--tile", "256"])
    assert code == 0
    whole = tmp_path / "whole.png"
    assert main(["enhance", str(photo), "-o", str(whole), "--model", str(model_file), "--quiet"]) == 0
    full = read_picture(whole)
    assert full.shape == (512, 512, 3)
    for r in range(2):
        for c in range(2):
            tile = read_picture(tmp_path / f"o_r{r}_c{c}.png")
            np.testing.assert_array_equal(tile, full[256 * r : 256 * (r + 1), 256 * c : 256 * (c + 1)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o_r0_c0.png", "o_r0_c1.png", "o_r1_c0.png", "o_r1_c1.png", "p.png", "whole.png"]
