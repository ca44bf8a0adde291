"""Streaming batches from the decoded cache (gantool.train.stream): the same batches as the
in-memory path, exact resume, and resident memory that does not grow with the set."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from gantool.core.errors import UserError
from gantool.data import decode_cache, folder
from gantool.specs import DataArrays
from gantool.train.batches import Batches
from gantool.train.distributed import Shard

CPU = torch.device("cpu")
TINY_BUDGET = {"memory_gb": 1e-6}  # any cache is larger: it streams


@pytest.fixture(autouse=True)
def own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GANTOOL_HOME", str(tmp_path / "home"))


def cached(tmp_path, n=50, shape=(3, 4, 4), seed=0) -> np.memmap:
    """A uint8 .npy opened as the decode cache opens it (copy-on-write memory map)."""
    path = tmp_path / f"cache-{n}-{seed}.npy"
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8, shape=(n, *shape))
    out[:] = np.random.default_rng(seed).integers(0, 256, size=out.shape, dtype=np.uint8)
    out.flush()
    del out
    return np.load(path, mmap_mode="c")


def test_streaming_and_in_memory_draw_identical_batches_over_epochs(tmp_path):
    x = cached(tmp_path)
    labels = np.arange(len(x)) % 7
    streamed = Batches(DataArrays(x=x, kind="image", labels=labels), 8, 3, CPU, options=TINY_BUDGET)
    in_memory = Batches(DataArrays(x=np.array(x), kind="image", labels=labels), 8, 3, CPU)
    assert (streamed.where, in_memory.where) == ("stream", "host")
    for _ in range(20):  # over three epochs, each a new permutation
        (xs, ls), (xm, lm) = streamed.next(), in_memory.next()
        assert torch.equal(xs, xm) and torch.equal(ls, lm)
    assert xs.dtype == torch.float32 and float(xs.min()) >= -1.0


def test_closing_the_prefetcher_ends_its_thread(tmp_path):
    streamed = Batches(DataArrays(x=cached(tmp_path), kind="image"), 8, 3, CPU, options=TINY_BUDGET)
    streamed.next()
    prefetcher = streamed._prefetcher
    assert prefetcher._thread.is_alive()
    prefetcher.close()
    assert not prefetcher._thread.is_alive()


def test_each_process_streams_only_its_share(tmp_path):
    x = cached(tmp_path, n=40)
    whole = Batches(DataArrays(x=np.array(x), kind="image"), 8, 1, CPU)
    shares = [Batches(DataArrays(x=x, kind="image"), 8, 1, CPU, Shard(rank, 2), options=TINY_BUDGET) for rank in (0, 1)]
    for _ in range(6):
        parts = [s.next()[0] for s in shares]
        assert parts[0].shape[0] == 4
        assert torch.equal(torch.cat(parts), whole.next()[0])


def test_resume_is_exact_whichever_path_saved_or_loads(tmp_path):
    x = cached(tmp_path)
    streamed = Batches(DataArrays(x=x, kind="image"), 8, 5, CPU, options=TINY_BUDGET)
    for _ in range(8):  # into the second epoch, with batches read ahead
        streamed.next()
    state = streamed.state_dict()
    expected = [streamed.next()[0] for _ in range(9)]
    for options, data in ((TINY_BUDGET, x), (None, np.array(x))):
        resumed = Batches(DataArrays(x=data, kind="image"), 8, 99, CPU, options=options)
        resumed.next()  # a started prefetcher is replaced by one from the loaded position
        resumed.load_state_dict(state)
        assert all(torch.equal(resumed.next()[0], e) for e in expected)


def test_budget_decides_and_only_a_whole_cache_file_streams(tmp_path):
    x = cached(tmp_path)
    assert Batches(DataArrays(x=x, kind="image"), 8, 0, CPU, options={"memory_gb": 1}).where == "host"
    assert Batches(DataArrays(x=x, kind="image"), 8, 0, CPU).where == "host"  # default: a share of free RAM
    assert Batches(DataArrays(x=x[1:], kind="image"), 8, 0, CPU, options=TINY_BUDGET).where == "host"
    assert Batches(DataArrays(x=np.array(x), kind="image"), 8, 0, CPU, options=TINY_BUDGET).where == "host"
    with pytest.raises(UserError, match=r"data.memory_gb must be a number in \[1e-06, inf\), not 'lots'"):
        Batches(DataArrays(x=x, kind="image"), 8, 0, CPU, options={"memory_gb": "lots"})


def test_a_cache_file_cut_short_while_streaming_is_one_line(tmp_path):
    x = cached(tmp_path, n=64)
    batches = Batches(DataArrays(x=x, kind="image"), 8, 0, CPU, options=TINY_BUDGET)
    os.truncate(x.filename, x.offset + 3 * x[0].nbytes)
    with pytest.raises(UserError, match="is shorter than it was when training started"):
        for _ in range(8):
            batches.next()


def write_images(root, n, size):
    root.mkdir()
    pixels = np.random.default_rng(1).integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)
    for i, img in enumerate(pixels):
        Image.fromarray(img).save(root / f"{i:05d}.bmp")  # uncompressed: quick to write and to decode


MEASURE = """
import json, sys
from gantool.train import batches
from gantool.train.testing import train_run

def status(key):
    return int(next(line for line in open("/proc/self/status") if line.startswith(key)).split()[1]) * 1024

seen = {}
next_batch = batches.Batches.next
def measured(self):
    if not getattr(self, "measured", False):  # the first batch: data opened, model built, no step yet
        self.measured = True
        open("/proc/self/clear_refs", "w").write("5")  # peak RSS := RSS now
        seen.update(where=self.where, start=status("VmRSS:"))
    return next_batch(self)
batches.Batches.next = measured
out = {}
for name, (data, steps, sets) in json.loads(sys.argv[1]).items():
    train_run("dcgan", json.loads(sys.argv[2]) | {"name": name, "data": data, "steps": steps}, sets)
    out[name] = dict(seen, peak=status("VmHWM:"))
print(json.dumps(out))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's peak-RSS reset")
def test_training_from_a_cache_three_times_the_budget_stays_within_it(tmp_path):
    """In one process, from the first batch on: training on a small set grows resident memory
    by the model's own footprint (optimizer state, activations); streaming a cache three
    times the budget grows it by less than that plus the budget; the same cache read
    through its memory map grows it by most of the set (so the measurement can fail)."""
    write_images(tmp_path / "small", 64, 64)
    write_images(tmp_path / "large", 2048, 64)
    set_bytes = 0
    for name in ("small", "large"):
        source = folder.folder_source(tmp_path / name)
        set_bytes = decode_cache.load(source, 64, 3, workers=1, progress=False).x.nbytes  # large: 24 MiB
    budget = set_bytes / 3
    flags = {"image_size": 64, "channels": 3, "batch_size": 64, "log_every": 100, "sample_every": 0,
             "checkpoint_every": 0, "project": str(tmp_path / "runs")}
    sets = {"model.ngf": 1, "model.ndf": 1}  # a small model: the test is about the data
    small, large = f"folder:{tmp_path / 'small'}", f"folder:{tmp_path / 'large'}"
    runs = {"warm-up": (small, 1, sets),  # one-time costs (lazy imports, kernels) land here
            "model": (small, 6, sets),
            "stream": (large, 6, sets | {"data.memory_gb": budget / 2**30}),
            "map": (large, 6, sets)}
    out = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(runs), json.dumps(flags)], capture_output=True,
                         text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.splitlines()[-1])
    assert [seen[name]["where"] for name in runs] == ["host", "host", "stream", "host"]
    growth = {name: r["peak"] - r["start"] for name, r in seen.items()}
    assert growth["stream"] < growth["model"] + budget, growth
    assert growth["map"] > growth["model"] + 0.4 * set_bytes, growth
