"""Tailing run files while they are written: partial lines, replaced files, downsampling."""

from __future__ import annotations

import json

import numpy as np

from gantool.run import JsonlTail, RunView, Series, find_runs


def test_half_written_line_waits_until_complete(tmp_path):
    path = tmp_path / "metrics.jsonl"
    tail = JsonlTail(path)
    assert tail.read() == ([], False)  # missing file: nothing yet
    path.write_text('{"step": 1, "loss_d": 0.5}\n{"step": 2, "lo')
    records, _ = tail.read()
    assert [r["step"] for r in records] == [1]
    with open(path, "a") as fh:
        fh.write('ss_d": 0.25}\n')
    records, _ = tail.read()
    assert records == [{"step": 2, "loss_d": 0.25}] and tail.bad_lines == 0


def test_replaced_file_is_read_again(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text("".join(json.dumps({"step": s}) + "\n" for s in range(5)))
    tail = JsonlTail(path)
    assert len(tail.read()[0]) == 5
    tmp = tmp_path / "new"
    tmp.write_text(json.dumps({"step": 0}) + "\n")
    tmp.replace(path)  # what resume's trim does
    records, reset = tail.read()
    assert reset and [r["step"] for r in records] == [0]


def test_series_downsamples_and_smooths():
    s = Series()
    s.add([{"step": i, "loss_d": float(i % 2), "img_per_s": 10.0, "flag": True, "name": "x"} for i in range(10_000)])
    assert s.names() == ["loss_d", "img_per_s"] and s.losses() == ["loss_d"]
    xs, ys = s.view("loss_d", 100)
    assert len(xs) == 100 and np.allclose(ys, 0.5)  # bucket means of 0,1,0,1...
    _, smooth = s.view("loss_d", 10_000, smoothing=0.5)
    assert smooth.std() < 0.05


def test_run_view_and_discovery(tmp_path):
    run = tmp_path / "dcgan" / "exp"
    (run / "samples").mkdir(parents=True)
    (run / "status.json").write_text(json.dumps({"state": "failed", "reason": "loss_d became nan", "pid": 1}))
    (run / "events.jsonl").write_text(json.dumps({"event": "sample", "step": 5, "path": "samples/step-0000005.png"}) + "\n")
    view = RunView(run)
    assert view.poll() and view.state == "failed" and "nan" in view.reason
    assert view.latest_sample == run / "samples" / "step-0000005.png"
    assert not view.poll()  # nothing changed
    assert find_runs(tmp_path) == [run] and find_runs(run) == [run]


def test_huge_reads_are_thinned_but_keep_sparse_metrics_and_the_last_line(tmp_path):
    path = tmp_path / "metrics.jsonl"
    lines = [json.dumps({"step": s, "loss_d": 1.0}) for s in range(1, 10_001)]
    lines[4321] = json.dumps({"step": 4322, "loss_d": 1.0, "fid": 12.5})  # a sparse metric
    path.write_text("\n".join(lines) + "\n")
    tail = JsonlTail(path, max_records=500)
    records, _ = tail.read()
    steps = [r["step"] for r in records]
    assert 450 < len(records) < 600 and steps == sorted(steps)
    assert steps[-1] == 10_000 and {"step": 4322, "loss_d": 1.0, "fid": 12.5} in records
    assert tail.thinned == 10_000 - len(records)
    with open(path, "a") as fh:  # what arrives afterwards is read in full
        fh.write("".join(json.dumps({"step": s, "loss_d": 2.0}) + "\n" for s in range(10_001, 10_101)))
    assert len(tail.read()[0]) == 100
