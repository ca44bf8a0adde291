"""The bad-input battery: each case runs the installed console script on a mistake a user
makes, and must end in exit 2, one line on stderr (no traceback), and nothing changed in
the runs, the cache or the output folder (a snapshot of paths and hashes before and after).

The workspace (a trained toy run with an exported generator, a run with a damaged last.pt,
broken data files, a cache of its own) is built once and shared: a case that changed
anything would fail its own snapshot check.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import MNIST_MIRROR, gantool

RUN = "runs/toy/exp"
CORRUPT = "runs/toy/corrupt"


def _files(tmp: Path) -> None:
    np.savez(tmp / "objects.npz", x=np.array([{"a": 1}, None], dtype=object))
    np.save(tmp / "objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    (tmp / "text.npz").write_text("not an archive\n")
    (tmp / "binary.csv").write_bytes(bytes(range(256)) * 8)
    (tmp / "typo.csv").write_text("a,b\n" + "".join(f"{i}.5,{i}\n" for i in range(40)) + "oops,3\n")
    (tmp / "latin.csv").write_bytes(("name,value\n" + "".join(f"caf\xe9{i % 3},{i}\n" for i in range(40))).encode("latin-1"))
    (tmp / "table.csv").write_text("x,y\n1,2\n")
    (tmp / "bad.toml").write_text("steps = [unclosed\n")
    (tmp / "out").mkdir()
    # a mirror whose images archive is damaged in the middle of its gzip stream
    mirror = tmp / "badmirror"
    mirror.mkdir()
    for path in MNIST_MIRROR.glob("*.gz"):
        shutil.copy(path, mirror / path.name)
    damaged = bytearray((mirror / "train-images-idx3-ubyte.gz").read_bytes())
    damaged[5000:5100] = b"\0" * 100
    (mirror / "train-images-idx3-ubyte.gz").write_bytes(bytes(damaged))
    (tmp / "home").mkdir()  # a cache of the workspace's own, inside the snapshot
    (tmp / "notgzip").mkdir()
    (tmp / "notgzip" / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"short")[:-8])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("bad-inputs")
    trained = gantool("train", "toy", "--steps", "20", "--checkpoint-every", "10", cwd=tmp)
    assert trained.returncode == 0, trained.stderr
    exported = gantool("export", RUN, cwd=tmp)
    assert exported.returncode == 0, exported.stderr
    again = gantool("train", "toy", "--steps", "20", "--checkpoint-every", "10", "--name", "corrupt", cwd=tmp)
    assert again.returncode == 0, again.stderr
    last = tmp / CORRUPT / "checkpoints" / "last.pt"
    data = last.read_bytes()
    last.unlink()  # last.pt is a hard link to step-20; cut a copy, leave step-20 whole
    last.write_bytes(data[: len(data) // 2])
    _files(tmp)
    return tmp


def snapshot(root: Path) -> dict[str, str]:
    """Every path with its content hash. A run's `.lock` only by name: taking the lock (which
    a refused resume must do to know it may not) writes the taker's pid into it."""
    return {str(p.relative_to(root)): "dir" if not p.is_file() else "lock" if p.name == ".lock" else
            hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))}


# (case id, arguments, what the one line must contain, extra environment)
CASES = [
    ("npz-object-array", ["train", "dcgan", "--data", "npz:objects.npz"], "holds Python objects", {}),
    ("npy-object-array", ["train", "dcgan", "--data", "npz:objects.npy"], "holds Python objects", {}),
    ("npz-text-file", ["train", "dcgan", "--data", "npz:text.npz"], "neither an .npz", {}),
    ("npz-missing", ["train", "dcgan", "--data", "npz:missing.npz"], "does not exist", {}),
    ("csv-binary", ["train", "ctgan", "--data", "csv:binary.csv"], "binary file", {}),
    ("csv-text-cell", ["train", "ctgan", "--data", "csv:typo.csv"], "line 42 holds 'oops'", {}),
    ("csv-wrong-encoding", ["train", "ctgan", "--data", "csv:latin.csv", "--set", "data.encoding=utf-8"],
     "is not utf-8", {}),
    ("csv-unknown-encoding", ["train", "ctgan", "--data", "csv:latin.csv", "--set", "data.encoding=klingon"],
     "unknown encoding", {}),
    ("resume-a-csv", ["train", "--resume", "table.csv"], "not a PyTorch checkpoint", {}),
    ("export-a-csv", ["export", "table.csv"], "not a PyTorch checkpoint", {}),
    ("export-opset-3", ["export", RUN, "--opset", "3", "-o", "out/g.onnx"], "--opset 3 is not supported", {}),
    ("export-opset-13", ["export", RUN, "--opset", "13", "-o", "out/g.onnx"], "--opset 13 is not supported", {}),
    ("export-opset-99", ["export", RUN, "--opset", "99", "-o", "out/g.onnx"], "--opset 99 is not supported", {}),
    ("export-missing-folder", ["export", RUN, "-o", "nowhere/g.onnx"], "does not exist", {}),
    ("export-no-run", ["export", "runs/toy/nosuch"], "does not exist", {}),
    ("name-escapes", ["train", "toy", "--name", "../../x"], "plain folder name", {}),
    ("name-with-slash", ["train", "toy", "--name", "a/b"], "plain folder name", {}),
    ("resume-corrupt-last", ["train", "--resume", CORRUPT, "--steps", "40"], "--from step-0000020.pt", {}),
    ("resume-from-missing", ["train", "--resume", CORRUPT, "--from", "nope.pt"], "no such checkpoint", {}),
    ("resume-from-elsewhere", ["train", "--resume", CORRUPT, "--from", f"{RUN}/checkpoints/step-0000010.pt"],
     "a run continues from its own checkpoints", {}),
    ("from-without-resume", ["train", "toy", "--from", "x.pt"], "--from needs --resume", {}),
    ("resume-changes-lr", ["train", "--resume", RUN, "--lr", "0.1"], "only --steps", {}),
    ("resume-already-done", ["train", "--resume", RUN], "already at step 20 of 20", {}),
    ("resume-not-a-run", ["train", "--resume", "out"], "has no checkpoint", {}),
    ("unknown-model", ["train", "dcgam"], "did you mean 'dcgan'", {}),
    ("unknown-dataset", ["train", "toy", "--data", "rign"], "unknown dataset 'rign'", {}),
    ("unknown-loss", ["train", "toy", "--loss", "hingee"], "unknown loss 'hingee'", {}),
    ("wrong-data-kind", ["train", "dcgan", "--data", "ring"], "trains on image data", {}),
    ("zero-batch", ["train", "toy", "--batch-size", "0"], "batch_size", {}),
    ("negative-keep", ["train", "toy", "--keep-checkpoints", "-1"], "keep_checkpoints cannot be negative", {}),
    ("unknown-set-key", ["train", "toy", "--set", "stpes=3"], "stpes", {}),
    ("unknown-model-option", ["train", "toy", "--set", "model.hiden=3"], "hiden", {}),
    ("missing-config", ["train", "toy", "--config", "missing.toml"], "missing.toml", {}),
    ("broken-config", ["train", "toy", "--config", "bad.toml"], "bad.toml", {}),
    ("bad-precision", ["train", "toy", "--precision", "fp8"], "precision", {}),
    ("nproc-zero", ["train", "toy", "--nproc", "0"], "at least 1", {}),
    ("sample-missing-model", ["sample", "nosuch.onnx"], "does not exist", {}),
    ("sample-run-without-export", ["sample", CORRUPT, "-o", "out/s.png"], "export it first", {}),
    ("sample-not-onnx", ["sample", "table.csv", "-o", "out/s.png"], "table.csv", {}),
    ("sample-zero", ["sample", RUN, "-n", "0", "-o", "out/s.png"], "-n", {}),
    ("eval-unknown-metric", ["eval", RUN, "--metrics", "fidd"], "fidd", {}),
    ("plot-no-run", ["plot", "runs/nosuch", "-o", "out/p.png"], "runs/nosuch", {}),
    ("mirror-not-a-folder", ["train", "dcgan"], "is not a directory or URL",
     {"GANTOOL_DATA_MIRROR": "/nonexistent/mirror"}),
    ("mirror-corrupt-gzip", ["train", "dcgan"], "failed verification (not valid gzip data", {"GANTOOL_DATA_MIRROR": "badmirror"}),
    ("mirror-truncated-gzip", ["train", "dcgan"], "failed verification", {"GANTOOL_DATA_MIRROR": "notgzip"}),
    ("plugin-new-clash", ["plugin", "new", "dcgan", "--dir", "out"], "is taken", {}),
]


@pytest.mark.parametrize("case, args, says, env", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(workspace, case, args, says, env):
    env = {"GANTOOL_HOME": str(workspace / "home"), "GANTOOL_PLUGINS": "tabular", **env}
    if env.get("GANTOOL_DATA_MIRROR", "").startswith(("badmirror", "notgzip")):
        env["GANTOOL_DATA_MIRROR"] = str(workspace / env["GANTOOL_DATA_MIRROR"])
    before = snapshot(workspace)
    result = gantool(*args, cwd=workspace, env=env)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert lines[0].startswith("error: ") and says in lines[0], lines[0]
    assert "allow_pickle" not in lines[0] and "weights_only" not in lines[0]
    assert snapshot(workspace) == before, "a bad input changed the run, cache or output folder"


def test_the_battery_is_large_enough():
    assert len(CASES) >= 40


def test_plot_into_a_read_only_folder_is_one_line(workspace, read_only):
    folder = workspace / "out"
    with read_only(folder):
        result = gantool("plot", RUN, "-o", "out/p.png", cwd=workspace)
    assert result.returncode == 2 and result.stderr.strip().startswith("error: cannot write out/p.png")
    assert "Traceback" not in result.stderr and not (folder / "p.png").exists()


def test_eval_prints_the_scores_before_failing_to_write_them(tmp_path, tiny_images, read_only):
    args = ["--data", f"npz:{tiny_images}", "--batch-size", "16", "--steps", "2", "--set", "model.ngf=8",
            "--set", "model.ndf=8"]
    assert gantool("train", "dcgan", *args, cwd=tmp_path).returncode == 0
    run = tmp_path / "runs" / "dcgan" / "exp"
    assert gantool("export", str(run), cwd=tmp_path).returncode == 0
    (run / "eval").mkdir()
    with read_only(run / "eval"):
        result = gantool("eval", str(run), "-n", "32", "--metrics", "fid", "--features", "lenet-mnist",
                         "--data", f"npz:{tiny_images}", cwd=tmp_path)
    assert result.returncode == 2 and "fid" in result.stdout  # the scores were shown
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert errors == [errors[0]] and "could not write" in errors[0] and "the scores above are not saved" in errors[0]
    assert "Traceback" not in result.stderr and list((run / "eval").iterdir()) == []
