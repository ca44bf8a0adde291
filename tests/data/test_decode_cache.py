"""The decode-once cache of folder: and zip: (gantool.data.decode_cache): hits, change
detection, damage, the worker pool, unreadable files."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from gantool import plugins
from gantool.core.errors import UserError
from gantool.data import decode_cache, folder
from gantool.specs import DataRequest


@pytest.fixture(autouse=True)
def own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GANTOOL_HOME", str(tmp_path / "home"))


def make_folder(root, per_class=6, classes=("cats", "dogs")):
    rng = np.random.default_rng(1)
    for c in classes:
        (root / c).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            h, w = rng.integers(20, 40, size=2)
            Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(root / c / f"{i:03d}.png")
    return root


def load(root, **options):
    skip = options.pop("skip_bad", False)
    return folder.load(str(root), DataRequest(image_size=16, channels=3, skip_bad=skip, options=options))


def no_decoding(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("decoded again although the cache is current")

    monkeypatch.setattr(decode_cache, "decode_all", refuse)


def entry_of(root, size=16, channels=3):
    return decode_cache.entry_dir(folder.folder_source(root), size, channels)


def test_second_load_opens_the_cache_as_a_memory_map(tmp_path, monkeypatch):
    root = make_folder(tmp_path / "imgs")
    first = load(root)
    assert first.x.shape == (12, 3, 16, 16) and list(first.labels) == [0] * 6 + [1] * 6
    no_decoding(monkeypatch)
    second = load(root)
    assert isinstance(second.x, np.memmap)
    np.testing.assert_array_equal(second.x, first.x)
    np.testing.assert_array_equal(second.labels, first.labels)
    second.x[0] = 0  # copy-on-write: a writable array for torch, the file untouched
    np.testing.assert_array_equal(load(root).x[0], first.x[0])
    index = json.loads((entry_of(root) / "index.json").read_text())
    files = json.loads((entry_of(root) / index["files"]).read_text())
    assert [f[0] for f in files][:2] == ["cats/000.png", "cats/001.png"] and all(len(f) == 3 for f in files)


def test_a_changed_folder_is_decoded_again(tmp_path):
    root = make_folder(tmp_path / "imgs")
    load(root)
    Image.new("RGB", (20, 20), (255, 0, 0)).save(root / "dogs" / "new.png")
    grown = load(root)
    assert len(grown.x) == 13 and (grown.x[-1, 0] == 255).all()
    Image.new("RGB", (20, 20), (0, 0, 255)).save(root / "dogs" / "new.png")  # same name, new content
    os.utime(root / "dogs" / "new.png", ns=(1, 1))
    assert (load(root).x[-1, 2] == 255).all()
    (root / "cats" / "000.png").unlink()
    assert len(load(root).x) == 12
    assert sorted(p.name for p in entry_of(root).iterdir() if p.suffix == ".npy")[0].startswith("images-")
    assert len([p for p in entry_of(root).iterdir() if p.suffix == ".npy"]) == 2  # old tokens removed


@pytest.mark.parametrize("damage", ["truncate", "garbage-index", "missing-images", "wrong-shape"])
def test_a_damaged_cache_is_rebuilt(tmp_path, damage):
    root = make_folder(tmp_path / "imgs")
    good = np.array(load(root).x)
    entry = entry_of(root)
    index = json.loads((entry / "index.json").read_text())
    images = entry / index["images"]
    if damage == "truncate":
        with open(images, "r+b") as fh:
            fh.truncate(images.stat().st_size - 100)
    elif damage == "garbage-index":
        (entry / "index.json").write_text("{ not json")
    elif damage == "missing-images":
        images.unlink()
    else:
        np.save(images, np.zeros((12, 3, 8, 32), dtype=np.uint8))  # same byte count, other shape
        index["images_bytes"] = images.stat().st_size
        (entry / "index.json").write_text(json.dumps(index))
    rebuilt = load(root)
    np.testing.assert_array_equal(rebuilt.x, good)
    assert decode_cache.entries(folder.folder_source(root))[0][2]  # current again


def test_the_worker_pool_decodes_what_one_process_does(tmp_path, monkeypatch):
    root = make_folder(tmp_path / "imgs", per_class=40)
    (root / "cats" / "bad.jpg").write_bytes(b"\xff\xd8 not a jpeg")
    inline = np.array(load(root, workers=1, cache=False, skip_bad=True).x)
    monkeypatch.setattr(decode_cache, "INLINE_BELOW", 0)
    pooled = load(root, workers=2, skip_bad=True)
    np.testing.assert_array_equal(pooled.x, inline)
    assert pooled.skipped == 1 and len(pooled.x) == 80
    assert list(pooled.labels) == [0] * 40 + [1] * 40  # labels follow the kept images


def test_unreadable_files_follow_skip_bad_from_the_cache_too(tmp_path, monkeypatch):
    root = make_folder(tmp_path / "imgs")
    (root / "cats" / "002b.png").write_bytes(b"not a png")
    with pytest.raises(UserError, match=r"cannot read image .*002b\.png \(UnidentifiedImageError\).*--skip-bad"):
        load(root)
    no_decoding(monkeypatch)  # the failed start left a cache: --skip-bad opens it at once
    data = load(root, skip_bad=True)
    assert data.skipped == 1 and len(data.x) == 12 and "1 unreadable skipped" in data.description
    assert list(data.labels) == [0] * 6 + [1] * 6


def test_cache_false_leaves_nothing_behind(tmp_path):
    root = make_folder(tmp_path / "imgs")
    data = load(root, cache=False)
    assert data.x.shape == (12, 3, 16, 16) and not isinstance(data.x, np.memmap)
    assert not (tmp_path / "home" / "data" / "decoded").exists()


def test_options_are_checked_before_loading(tmp_path):
    root = make_folder(tmp_path / "imgs")
    reg = plugins.registry()
    data = reg.open_dataset(f"folder:{root}", DataRequest(image_size=8, channels=1, options={"workers": 1}))
    assert data.x.shape == (12, 1, 8, 8)
    with pytest.raises(UserError, match="workers"):
        reg.open_dataset(f"folder:{root}", DataRequest(options={"workers": -1}))
    with pytest.raises(UserError, match="worker"):
        reg.open_dataset(f"folder:{root}", DataRequest(options={"worker": 2}))


def test_a_dataset_json_labels_a_folder(tmp_path):
    root = make_folder(tmp_path / "imgs", per_class=2)
    names = ["cats/000.png", "cats/001.png", "dogs/000.png", "dogs/001.png"]
    (root / "dataset.json").write_text(json.dumps({"labels": [[n, 3 - i] for i, n in enumerate(names)]}))
    data = load(root)
    assert list(data.labels) == [3, 2, 1, 0] and data.num_classes == 4
    (root / "dataset.json").write_text(json.dumps({"labels": [[n, 0] for n in names[:3]]}))
    with pytest.raises(UserError, match="no label for dogs/001.png"):
        load(root)


def test_an_unwritable_cache_is_one_line_and_cache_false_still_loads(tmp_path, monkeypatch, read_only):
    root = make_folder(tmp_path / "imgs")
    home = tmp_path / "ro-home"
    home.mkdir()
    monkeypatch.setenv("GANTOOL_HOME", str(home))
    with read_only(home):
        with pytest.raises(UserError, match=r"cannot write the decoded images \(0\.00 GiB\) under .*ro-home.*GANTOOL_HOME"):
            load(root)
        assert load(root, cache=False).x.shape == (12, 3, 16, 16)


def test_linked_class_folders_are_followed_and_a_link_cycle_ends(tmp_path):
    root = make_folder(tmp_path / "imgs", classes=("cats",))
    make_folder(tmp_path / "elsewhere", classes=("dogs",))
    (root / "dogs").symlink_to(tmp_path / "elsewhere" / "dogs")
    (root / "cats" / "loop").symlink_to(root)
    data = load(root)
    assert len(data.x) == 12 and data.num_classes == 2


def test_a_new_decoder_version_decodes_again(tmp_path, monkeypatch):
    root = make_folder(tmp_path / "imgs")
    load(root)
    monkeypatch.setattr(decode_cache, "DECODER", decode_cache.DECODER + 1)
    calls = []
    real = decode_cache.decode_all
    monkeypatch.setattr(decode_cache, "decode_all", lambda *a, **k: calls.append(1) or real(*a, **k))
    load(root)
    assert calls == [1]


CONCURRENT = """
import sys
from gantool.data import decode_cache, folder
decoded = decode_cache.load(folder.folder_source(folder.Path(sys.argv[1])), 16, 3, workers=1, progress=False)
print("built" if decoded.built else "opened", len(decoded.x))
"""


def test_two_processes_starting_together_decode_once(tmp_path):
    import subprocess
    import sys

    root = make_folder(tmp_path / "imgs", per_class=150)
    env = {**os.environ, "GANTOOL_HOME": str(tmp_path / "home")}
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(root)], env=env, stdout=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outputs = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert outputs == ["built 300", "opened 300"]  # the second waited on the lock, then opened


def test_a_pool_that_breaks_falls_back_to_this_process(tmp_path, monkeypatch, capsys):
    from concurrent.futures.process import BrokenProcessPool

    root = make_folder(tmp_path / "imgs")
    expected = np.array(load(root, cache=False).x)

    def broken(*args):
        raise BrokenProcessPool("a worker could not start")

    monkeypatch.setattr(decode_cache, "INLINE_BELOW", 0)
    monkeypatch.setattr(decode_cache, "_decode_in_pool", broken)
    np.testing.assert_array_equal(load(root, workers=2).x, expected)
    assert "decoding in this process" in capsys.readouterr().err
