"""The plugin through gantool's own commands, as a user runs them: train, export, sample, eval."""

from __future__ import annotations

import asyncio
import csv
import json

from tabular_testing import gantool


def test_plugins_lists_the_package_with_its_version(tmp_path):
    out = gantool("plugins", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    entries = {p["name"]: p for p in json.loads(out.stdout)}
    tabular = entries["tabular"]
    assert tabular["version"] == "0.1.0" and tabular["status"] == "loaded"
    assert tabular["registered"] == {"model": ["ctgan"], "dataset": ["csv", "sklearn"], "command": ["table-data"]}


async def _monitor_shows(run):
    """`gantool monitor` on the table run: the losses chart has this plugin's losses."""
    from gantool.tui.app import MonitorApp
    from gantool.tui.widgets import MetricChart

    app = MonitorApp(run, poll_s=0.05)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.pause(0.3)
        assert app.current.series.last["step"] == 30
        assert "loss_d" in str(app.query_one("#losses", MetricChart).render())


def test_train_export_sample_eval_a_csv(tmp_path, iris_csv):
    train = gantool("train", "ctgan", "--data", f"csv:{iris_csv}", "--steps", "30", "--batch-size", "40",
                    "--log-every", "10", "--sample-every", "30", cwd=tmp_path)
    assert train.returncode == 0, train.stderr
    run = tmp_path / "runs/ctgan/exp"
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics if "loss_d" in m] == [10, 20, 30] and "cond_loss" in metrics[-1]
    assert (run / "samples/step-0000030.png").stat().st_size > 1000  # the column histograms
    asyncio.run(_monitor_shows(run))
    export = gantool("export", str(run), cwd=tmp_path)
    assert export.returncode == 0, export.stderr
    sample = gantool("sample", str(run), "-n", "50", cwd=tmp_path)
    assert sample.returncode == 0, sample.stderr
    with (tmp_path / "samples.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)", "target"]
    assert len(rows) == 51 and {r[4] for r in rows[1:]} <= {"setosa", "versicolor", "virginica"}
    float(rows[1][0])
    evaluated = gantool("eval", str(run), "-n", "500", "--target", "target", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    result = json.loads(next((run / "eval").glob("*.json")).read_text())
    assert {"ks_mean", "tv_mean", "correlation_diff", "accuracy_real", "accuracy_synthetic"} <= set(result["values"])
    assert result["values"]["accuracy_real"] > 0.8  # iris is easy for the real-data classifier
    assert result["protocol"]["real_rows"] == {"train": 120, "test": 30}


def test_errors_name_the_plugin(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n" + "1,2\n" * 5 + "1,\n" + "1,2\n" * 5)
    out = gantool("train", "ctgan", "--data", f"csv:{bad}", "--steps", "2", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip() == f"error: gantool-tabular: column 'b' of {bad} has missing values (lines 7); fill or drop them"
    unknown = gantool("train", "ctgan", "--data", f"csv:{bad}", "--discrete", "c", cwd=tmp_path)
    assert unknown.returncode == 2 and "gantool-tabular: --discrete names c, not columns" in unknown.stderr
    odd = gantool("train", "ctgan", "--steps", "2", "--batch-size", "25", cwd=tmp_path)
    assert odd.returncode == 2 and "must be a multiple of model.pac 10" in odd.stderr


def test_table_data_command_writes_the_demo_csv(tmp_path):
    out = gantool("table-data", "wine", "-o", "wine.csv", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = (tmp_path / "wine.csv").read_text().splitlines()
    assert len(lines) == 179 and lines[0].endswith(",target")
    again = gantool("table-data", "wine", "-o", "wine.csv", cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr
