"""Data sources: robust image reading, folders and file lists, WIDER FACE annotations, TFDS, the crop cache."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tfsr.config import config_from_dict
from tfsr.data import cache, crops, images, pipeline, tfds_sources, wider_face
from tfsr.errors import DataError

RED, BLUE = (220, 20, 20), (20, 20, 220)


def _halves(h: int = 40, w: int = 60) -> np.ndarray:
    """Left half red, right half blue: orientation is visible."""
    a = np.zeros((h, w, 3), np.uint8)
    a[:, : w // 2] = RED
    a[:, w // 2 :] = BLUE
    return a


def _write_bad_and_good(folder):
    """One file of every awkward kind; returns (good names, broken names)."""
    folder.mkdir(parents=True, exist_ok=True)
    rgb = _halves(48, 48)
    Image.fromarray(rgb).save(folder / "plain.jpg", quality=95)
    Image.fromarray(rgb).save(folder / "plain.png")
    Image.fromarray(rgb).save(folder / "plain.webp", lossless=True)
    Image.fromarray(rgb).save(folder / "plain.bmp")
    Image.fromarray(rgb[..., 0]).save(folder / "gray.png")
    Image.fromarray(rgb).convert("CMYK").save(folder / "cmyk.jpg", quality=95)
    Image.fromarray((np.arange(48 * 48).reshape(48, 48) * 28).astype(np.uint16)).save(folder / "deep16.png")
    rgba = np.dstack([rgb, np.full((48, 48), 255, np.uint8)])
    rgba[:8, :8, 3] = 0
    Image.fromarray(rgba).save(folder / "rgba.png")
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated 90 degrees clockwise
    Image.fromarray(_halves(48, 48)).save(folder / "rotated.jpg", exif=exif, quality=95)
    (folder / "garbage.jpg").write_bytes(b"not an image at all")
    good_jpeg = (folder / "plain.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(good_jpeg[: len(good_jpeg) // 2])
    damaged = bytearray(good_jpeg)
    sos = damaged.find(b"\xff\xda")
    damaged[sos + 6] = 0x33  # the scan names Huffman tables that do not exist: the header still parses
    (folder / "bad_tables.jpg").write_bytes(bytes(damaged))
    (folder / "notes.txt").write_text("ignored: not an image extension")
    good = ["plain.jpg", "plain.png", "plain.webp", "plain.bmp", "gray.png", "cmyk.jpg", "deep16.png", "rgba.png", "rotated.jpg"]
    return good, ["garbage.jpg", "truncated.jpg", "bad_tables.jpg"]


def test_read_image_converts_awkward_files(tmp_path):
    _write_bad_and_good(tmp_path)
    cmyk = images.read_image(tmp_path / "cmyk.jpg")
    assert cmyk.shape == (48, 48, 3) and cmyk.dtype == np.uint8
    np.testing.assert_allclose(cmyk[24, 5], RED, atol=30)
    deep = images.read_image(tmp_path / "deep16.png")
    raw = np.asarray(Image.open(tmp_path / "deep16.png")).astype(np.int64)
    np.testing.assert_allclose(deep[..., 0].astype(np.int64), np.round(raw * 255 / 65535), atol=1)
    assert (deep[..., 0] == deep[..., 2]).all() and deep.max() > 200
    rgba = images.read_image(tmp_path / "rgba.png")
    assert (rgba[:8, :8] == 255).all() and tuple(rgba[20, 5]) == RED
    gray = images.read_image(tmp_path / "gray.png")
    assert gray.shape == (48, 48, 3) and (gray[..., 0] == gray[..., 1]).all()
    # EXIF 6: the stored left (red) half is shown on top.
    rotated = images.read_image(tmp_path / "rotated.jpg")
    np.testing.assert_allclose(rotated[5, 24], RED, atol=30)
    np.testing.assert_allclose(rotated[43, 24], BLUE, atol=30)
    with pytest.raises(DataError, match="garbage.jpg"):
        images.read_image(tmp_path / "garbage.jpg")


def test_folder_crops_convert_awkward_files_and_skip_broken_ones(tmp_path, caplog):
    good, broken = _write_bad_and_good(tmp_path / "faces")
    paths = [str(p) for p in images.list_images(tmp_path / "faces")]
    assert len(paths) == len(good) + len(broken)  # notes.txt is not listed
    result = crops.crops_from_paths(paths, 16, 1.0, "faces")
    assert len(result) == len(good)
    assert sorted(p.rsplit("/", 1)[1] for p in result.skipped) == sorted(broken)
    assert "skipped 3 unreadable" in caplog.text
    # Pillow-only files (CMYK, 16-bit, RGBA, EXIF-rotated) are converted up front, the rest left to TF.
    assert len(result.array) == 4 and len(result.files) == len(good) - 4
    decoded = result.materialise().array
    assert decoded.shape == (len(good), 16, 16, 3)
    by_name = dict(zip([p.rsplit("/", 1)[1] for p in result.files], decoded))
    np.testing.assert_allclose(by_name["plain.png"][8, 2], RED, atol=2)
    np.testing.assert_allclose(by_name["plain.png"][8, 13], BLUE, atol=2)
    np.testing.assert_allclose(by_name["plain.jpg"][8, 2], RED, atol=12)


def test_streams_mix_decoded_files_and_converted_crops(tmp_path):
    good, _ = _write_bad_and_good(tmp_path / "faces")
    raw = {"model": {"hr_size": 16}, "data": {"hr_dirs": [str(tmp_path / "faces")], "test_fraction": 0.0}}
    cfg = config_from_dict(raw)
    mixed = pipeline.hr_crops(cfg)
    assert len(mixed.files) and len(mixed.array)
    # One epoch un-augmented is every crop once, files area-resized exactly as `materialise` does.
    epoch = next(iter(pipeline.build_hr_dataset(cfg, len(good), seed=2, augment=False))).numpy()
    expected = mixed.materialise().array / 127.5 - 1
    flat = lambda a: np.sort(a.reshape(len(good), -1), axis=0)  # noqa: E731
    np.testing.assert_allclose(flat(epoch), flat(expected), atol=1e-5)
    full = [b.numpy() for b in pipeline.build_hr_dataset(cfg, 4, seed=2).take(5)]
    resumed = [b.numpy() for b in pipeline.build_hr_dataset(cfg, 4, seed=2, start_step=3).take(2)]
    for a, b in zip(full[3:], resumed):
        np.testing.assert_array_equal(a, b)
    assert all(-1 <= b.min() and b.max() <= 1 for b in full)


def test_jpegs_are_decoded_at_the_smallest_dct_scale_that_covers_the_output(tmp_path):
    rng = np.random.default_rng(3)
    coarse = Image.fromarray(rng.integers(0, 256, (6, 6, 3)).astype(np.uint8))
    image = np.asarray(coarse.resize((300, 300), Image.BICUBIC))
    Image.fromarray(image).save(tmp_path / "big.jpg", quality=95)
    result = crops.crops_from_paths([str(tmp_path / "big.jpg")], 64, 0.8, "x")  # a 240 px square
    window = result.window_fn()(0).numpy()
    assert window.shape == (120, 120, 3)  # 1/2 scale: 1/4 would leave 60 < 64 pixels
    full = images.resize_area(image[30:270, 30:270], 120).astype(float)
    assert np.abs(window - full).mean() < 4
    np.testing.assert_allclose(result.materialise().array[0], images.resize_area(image[30:270, 30:270], 64), atol=6)


def test_centre_crop_box_is_used_by_the_tensorflow_decoder(tmp_path):
    a = np.zeros((218, 178, 3), np.uint8)
    a[:, :] = BLUE
    a[59:159, 39:139] = RED  # the central 100x100 square
    Image.fromarray(a).save(tmp_path / "celeba.png")
    Image.fromarray(a).save(tmp_path / "celeba.jpg", quality=98)
    fraction = 100 / 178
    result = crops.crops_from_paths([str(tmp_path / "celeba.png"), str(tmp_path / "celeba.jpg")], 32, fraction, "x")
    out = result.materialise().array
    assert len(result.files) == 2
    np.testing.assert_allclose(out[0].reshape(-1, 3).mean(0), RED, atol=1)
    np.testing.assert_allclose(out[1].reshape(-1, 3).mean(0), RED, atol=6)


def test_empty_or_unusable_sources_fail_before_training(tmp_path):
    (tmp_path / "empty").mkdir()
    cfg = config_from_dict({"data": {"hr_dirs": [str(tmp_path / "empty")]}})
    with pytest.raises(DataError, match="empty"):
        pipeline.build_hr_dataset(cfg, 8, seed=0)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "a.jpg").write_bytes(b"xx")
    cfg = config_from_dict({"data": {"hr_dirs": [str(tmp_path / "broken")], "test_fraction": 0.0}})
    with pytest.raises(DataError, match="broken: no usable images"):
        pipeline.build_hr_dataset(cfg, 8, seed=0)
    with pytest.raises(DataError, match="no high-resolution faces"):
        pipeline.build_hr_dataset(config_from_dict({}), 8, seed=0)
    with pytest.raises(DataError, match="no real low-resolution faces"):
        pipeline.build_lr_dataset(config_from_dict({}), 8, seed=0)


def test_file_lists_resolve_relative_paths(tmp_path):
    (tmp_path / "imgs").mkdir()
    for k in range(3):
        Image.fromarray(np.full((20, 20, 3), 40 * k, np.uint8)).save(tmp_path / "imgs" / f"{k}.png")
    (tmp_path / "list.txt").write_text("# faces\nimgs/0.png\n\nimgs/2.png\n")
    listed = images.read_file_list(tmp_path / "list.txt")
    assert [p.name for p in listed] == ["0.png", "2.png"] and all(p.is_file() for p in listed)
    cfg = config_from_dict(
        {"model": {"hr_size": 32}, "data": {"hr_file_lists": [str(tmp_path / "list.txt")], "test_fraction": 0.0}}
    )
    # 20 px images for 32 px crops: smaller files are resized up, too.
    batch = next(iter(pipeline.build_hr_dataset(cfg, 4, seed=0, augment=False)))
    assert batch.shape == (4, 32, 32, 3)
    values = sorted(set(np.round((batch.numpy()[:, 0, 0, 0] + 1) * 127.5).astype(int).tolist()))
    assert values == [0, 80]


def test_split_is_stable_disjoint_and_complete():
    keys = [f"img_{k}.jpg" for k in range(1000)]
    train, test = crops.split_of(keys, 0.1, "train"), crops.split_of(keys, 0.1, "test")
    assert sorted(train + test) == list(range(1000)) and not set(train) & set(test)
    assert 50 < len(test) < 150
    # Adding files never moves an existing file to the other side.
    more = crops.split_of(keys + [f"new_{k}" for k in range(100)], 0.1, "test")
    assert set(test) <= set(more)
    assert crops.split_of(keys, 0.0, "test") == []


# ------------------------------------------------------------------------------------------ WIDER FACE
def _wider(root, annotation: str, images_spec: dict[str, list[tuple[int, int, int, int, tuple]]]):
    """Writes WIDER FACE's layout: painted face boxes on grey images, and the given annotation text."""
    (root / "wider_face_split").mkdir(parents=True)
    (root / "wider_face_split" / "wider_face_train_bbx_gt.txt").write_text(annotation)
    for name, boxes in images_spec.items():
        a = np.full((120, 160, 3), 128, np.uint8)
        for x, y, w, h, colour in boxes:
            a[max(y, 0) : y + h, max(x, 0) : x + w] = colour
        path = root / "WIDER_train" / "images" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(a).save(path)


ANNOTATION = """0--Parade/a.png
4
10 10 20 20 0 0 0 0 0 0
60 10 50 50 0 0 0 0 0 0
150 100 20 20 2 0 0 0 1 0
80 80 20 20 0 0 0 1 0 0
0--Parade/empty.png
0
0 0 0 0 0 0 0 0 0 0
1--Handshaking/b.png
2
-8 30 24 24 1 0 0 0 0 0
500 500 20 20 0 0 0 0 0 0
"""


def test_wider_face_parser_reads_the_official_format(tmp_path):
    (tmp_path / "ann.txt").write_text(ANNOTATION)
    entries = wider_face.parse_annotations(tmp_path / "ann.txt")
    assert [name for name, _ in entries] == ["0--Parade/a.png", "0--Parade/empty.png", "1--Handshaking/b.png"]
    assert [len(faces) for _, faces in entries] == [4, 0, 2]
    third = entries[0][1][2]
    assert (third.x, third.w, third.blur, third.occlusion, third.invalid) == (150, 20, 2, 1, False)
    assert entries[0][1][3].invalid
    (tmp_path / "short.txt").write_text("x.jpg\n2\n1 2 3 4 0 0 0 0 0 0\n")
    with pytest.raises(DataError, match="short.txt.*announces 2"):
        wider_face.parse_annotations(tmp_path / "short.txt")
    (tmp_path / "bad.txt").write_text("x.jpg\nmany\n")
    with pytest.raises(DataError, match=r"bad.txt:2: expected a face count"):
        wider_face.parse_annotations(tmp_path / "bad.txt")


def test_wider_face_crops_follow_the_rules_and_survive_odd_boxes(tmp_path):
    green, yellow, pink = (20, 200, 20), (220, 220, 20), (230, 120, 200)
    _wider(
        tmp_path,
        ANNOTATION,
        {
            "0--Parade/a.png": [(10, 10, 20, 20, green), (60, 10, 50, 50, BLUE), (150, 100, 20, 20, yellow)],
            "0--Parade/empty.png": [],
            "1--Handshaking/b.png": [(-8, 30, 24, 24, pink)],
        },
    )
    rules = wider_face.FaceRules(min_side=10, max_side=37)
    out = wider_face.load_split(tmp_path, "train", rules, 16, margin=0.0)
    # Kept: the green face, the yellow one (reaching past the corner), the pink one (past the left edge).
    # Dropped: too large (50 px), invalid, entirely outside the image.
    assert out.array.shape == (3, 16, 16, 3)
    centres = sorted(tuple(int(v) for v in c[8, 8]) for c in out.array)
    assert centres == sorted([green, yellow, pink])
    strict = wider_face.load_split(tmp_path, "train", wider_face.FaceRules(10, 37, max_blur=1, max_occlusion=0), 16, 0.0)
    assert sorted(tuple(int(v) for v in c[8, 8]) for c in strict.array) == sorted([green, pink])
    cfg = config_from_dict({"data": {"wider_face_root": str(tmp_path), "test_fraction": 0.0, "crop_margin": 0.0}})
    lr = next(iter(pipeline.build_lr_dataset(cfg, 6, seed=0, augment=False)))
    assert lr.shape == (6, 16, 16, 3) and lr.dtype == np.float32


def test_wider_face_missing_annotation_or_no_faces_is_an_error(tmp_path):
    with pytest.raises(DataError, match="wider_face_train_bbx_gt.txt: WIDER FACE annotation file not found"):
        wider_face.load_split(tmp_path, "train", wider_face.FaceRules(), 16, 0.25)
    _wider(tmp_path / "w", "x.png\n1\n0 0 90 90 0 0 0 0 0 0\n", {"x.png": [(0, 0, 90, 90, BLUE)]})
    with pytest.raises(DataError, match="no face passes the rules"):
        wider_face.load_split(tmp_path / "w", "train", wider_face.FaceRules(10, 37), 16, 0.25)


# ----------------------------------------------------------------------------------------- TFDS, cache
def test_tfds_never_downloads_and_reads_prepared_data(tmp_path):
    import tensorflow_datasets as tfds

    with pytest.raises(DataError, match="celeb_a' is not prepared .*tfds_manual_dir"):
        tfds_sources.load_builder("celeb_a", str(tmp_path / "data"), None)
    with tfds.testing.mock_data(num_examples=5, policy=tfds.testing.MockPolicy.USE_CODE):
        celeb = tfds_sources.celeb_a_crops("test", 32, 0.8, str(tmp_path / "data"), str(tmp_path))
        # Mock annotations are random: keep every face with a positive size.
        everything = wider_face.FaceRules(0, 10**6, max_blur=255, max_occlusion=255, keep_invalid=True)
        wider = tfds_sources.wider_face_crops("train", everything, 16, 0.25, str(tmp_path / "data"), str(tmp_path))
    assert celeb.array.shape == (5, 32, 32, 3) and celeb.array.dtype == np.uint8
    assert wider.array.shape[1:] == (16, 16, 3) and len(wider.array) > 0


def test_crop_cache_is_reused_and_keyed(tmp_path, monkeypatch):
    folder = tmp_path / "faces"
    folder.mkdir()
    for k in range(6):
        Image.fromarray(np.full((30, 30, 3), 30 * k, np.uint8)).save(folder / f"{k}.png")
    raw = {"model": {"hr_size": 16}, "data": {"hr_dirs": [str(folder)], "cache_dir": str(tmp_path / "c"), "test_fraction": 0.0}}
    first = pipeline.hr_crops(config_from_dict(raw))
    assert len(list((tmp_path / "c").glob("hr-train-*/crops.npy"))) == 1
    # Served from the memory-mapped file, not read into memory.
    assert isinstance(first.array, np.memmap) and not first.files and len(first) == 6

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(pipeline, "crops_from_paths", no_rebuild)
    second = pipeline.hr_crops(config_from_dict(raw))
    assert isinstance(second.array, np.memmap)
    np.testing.assert_array_equal(second.array, first.array)
    assert sorted(second.array[:, 0, 0, 0].tolist()) == [30 * k for k in range(6)]
    # A new file changes the folder's fingerprint: the entry is rebuilt, not reused.
    Image.fromarray(np.zeros((30, 30, 3), np.uint8)).save(folder / "new.png")
    with pytest.raises(AssertionError, match="cache was not used"):
        pipeline.hr_crops(config_from_dict(raw))
    assert cache.folder_fingerprint([str(folder)])[str(folder)][0] == 7
