"""`gantool rate make` and `gantool rate report`: what a study folder holds (and what the
raters' page must not), refusals as one line with exit code 2, attention-check exclusions,
per-class rates, and 2AFC with a Bradley-Terry ranking."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gantool.core.errors import UserError
from gantool.plugins import registry
from gantool.rate import answers, report, study
from gantool.rate.make import make_study
from gantool.rate.page import read_items
from gantool.rate.study import StudySettings
from tests.conftest import gantool
from tests.rate.conftest import tiny_generator, tiny_run


def answer_all(made: study.Study, folder, name: str, rule) -> str:
    """An answers file as a rater following `rule(truth) -> answer` would send it."""
    given = [{"item": item, "answer": rule(truth), "ms": 900} for item, truth in made.key.items()]
    path = folder / f"{name}.json"
    answers.save(path, answers.document(made.hash, made.protocol, name, f"session-{name}", "t0", "t1", given,
                                        len(made.key), client="test"))
    return str(path)


def test_make_writes_a_study_whose_page_holds_no_key_and_refuses_to_overwrite(tmp_path, mnist_mirror):
    tiny_generator(tmp_path / "g.onnx")
    args = ["rate", "make", "g.onnx", "--real", "mnist", "-n", "20", "--seed", "3", "--exposure-ms", "500"]
    made = gantool(*args, "-o", "study", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "study"
    manifest = json.loads((folder / "manifest.json").read_text())
    key = json.loads((folder / "key.json").read_text())
    assert manifest["protocol"] == "hype" and manifest["items"] == 21 and manifest["exposure_ms"] == 500
    assert key["study"] == manifest["study"] and len(key["items"]) == 21
    assert sum(t["truth"] == "real" for t in key["items"].values()) == 10
    assert sum(t["attention"] for t in key["items"].values()) == 1
    page = read_items(folder / "index.html")
    assert page["study"] == manifest["study"] and [i["id"] for i in page["items"]] == list(key["items"])
    assert all(i["images"][0].startswith(b"\x89PNG") for i in page["items"])
    html = (folder / "index.html").read_text()
    for leak in ('"truth"', '"model"', "tiny", "g.onnx", "attention\":"):
        assert leak not in html

    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    again = gantool(*args, "-o", "study", cwd=tmp_path)
    assert again.returncode == 2 and again.stderr.strip().count("\n") == 0 and "already exists" in again.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # untouched

    same = make_study(registry(), [tmp_path / "g.onnx"], "mnist", StudySettings(n=20, seed=3, exposure_ms=500),
                      tmp_path / "study-again")
    assert same.hash == manifest["study"]  # the same inputs and seed: the same study


def test_report_refuses_answers_of_another_study_in_one_line(tmp_path, mnist_mirror):
    tiny_generator(tmp_path / "g.onnx")
    one = make_study(registry(), [tmp_path / "g.onnx"], "mnist", StudySettings(n=10, seed=0), tmp_path / "one")
    two = make_study(registry(), [tmp_path / "g.onnx"], "mnist", StudySettings(n=10, seed=1), tmp_path / "two")
    assert one.hash != two.hash
    theirs = answer_all(two, tmp_path, "bob", lambda t: "real")
    done = gantool("rate", "report", "one", theirs, cwd=tmp_path)
    assert done.returncode == 2 and "cannot be mixed between studies" in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0
    assert not (tmp_path / "one" / "eval").exists()
    missing_key = gantool("rate", "report", "one", theirs, "--key", "nowhere.json", cwd=tmp_path)
    assert missing_key.returncode == 2 and "answer key" in missing_key.stderr


def test_report_excludes_raters_who_fail_attention_checks_and_writes_into_the_run(tmp_path, mnist_mirror):
    run = tiny_run(tmp_path)
    made = make_study(registry(), [run], "mnist", StudySettings(n=40, attention=2), tmp_path / "study")
    perfect = answer_all(made, tmp_path, "ann", lambda t: t["truth"])
    fooled = answer_all(made, tmp_path, "ben", lambda t: "fake" if t["attention"] else "real")  # says real to all
    careless = answer_all(made, tmp_path, "cy", lambda t: "real")  # also to the noise: excluded
    result = report.report(made_loaded := study.load(tmp_path / "study"), [perfect, fooled, careless],
                           report.ReportSettings(draws=200), report.output_folders(made_loaded, tmp_path / "study"))
    assert [r["excluded"] for r in result.raters] == [False, False, True]
    assert result.raters[2]["missed"] == [i for i, t in made.key.items() if t["attention"]]
    # ann is always right, ben always says real: fakes judged real 1/2, reals judged fake 0
    assert result.values["fake_judged_real"] == 0.5 and result.values["real_judged_fake"] == 0.0
    assert result.values["hype"] == 0.25 and result.values["raters"] == 2 and result.values["excluded_raters"] == 1
    assert result.details["models"]["tiny/exp"]["hype"]["value"] == 0.25
    (written,) = (run / "eval").glob("*-rate.json")
    assert json.loads(written.read_text())["protocol"]["study"] == made.hash
    lenient = report.report(made_loaded, [perfect, fooled, careless], report.ReportSettings(allowed_misses=2, draws=200))
    assert lenient.values["raters"] == 3 and not lenient.paths
    (tmp_path / "copy.json").write_text((tmp_path / "ann.json").read_text())
    with pytest.raises(UserError, match="same rater session"):
        report.report(made_loaded, [perfect, tmp_path / "copy.json"], report.ReportSettings(draws=200))


def test_hype_with_two_generators_scores_each_against_the_shared_reals(tmp_path, mnist_mirror):
    paths = [tiny_generator(tmp_path / f"{name}.onnx", seed=k) for k, name in enumerate("ab")]
    made = make_study(registry(), paths, "mnist", StudySettings(n=40, attention=1), tmp_path / "study")
    names = [m["name"] for m in made.manifest["models"]]
    assert [sum(t["model"] == name for t in made.key.values()) for name in names] == [10, 10]
    # fooled by every image of the first generator, none of the second; right on the reals
    file = answer_all(made, tmp_path, "ann", lambda t: "real" if t["truth"] == "real" or t["model"] == names[0] else "fake")
    result = report.report(study.load(tmp_path / "study"), [file], report.ReportSettings(draws=200))
    models = result.details["models"]
    assert models[names[0]]["hype"]["value"] == 0.5 and models[names[1]]["hype"]["value"] == 0.0
    assert result.values["hype"] == 0.25 and result.values["answers"] == 40


def test_per_class_rates_for_a_conditional_generator(tmp_path, mnist_mirror):
    tiny_generator(tmp_path / "c.onnx", classes=10)
    made = make_study(registry(), [tmp_path / "c.onnx"], "mnist", StudySettings(n=60, seed=2), tmp_path / "study")
    fakes_of = {t["class"] for t in made.key.values() if t["truth"] == "fake" and not t["attention"]}
    assert len(fakes_of) > 5
    # a rater fooled by every generated 3 and by nothing else
    file = answer_all(made, tmp_path, "ann", lambda t: "real" if t["truth"] == "real" or t["class"] == 3 else "fake")
    result = report.report(study.load(tmp_path / "study"), [file], report.ReportSettings(draws=200))
    classes = result.details["classes"]
    assert classes["3"]["fake_judged_real"]["value"] == 1.0
    assert all(c["fake_judged_real"]["value"] in (0.0, None) for k, c in classes.items() if k != "3")


def test_2afc_with_three_generators_ranks_them_by_bradley_terry(tmp_path, mnist_mirror):
    paths = [tiny_generator(tmp_path / f"{name}.onnx", seed=k) for k, name in enumerate(["a", "b", "c"])]
    made = make_study(registry(), paths, "mnist", StudySettings(protocol="2afc", n=90, attention=3), tmp_path / "study")
    pairs = {frozenset((t["left"], t["right"])) for t in made.key.values() if not t["attention"]}
    assert len(pairs) == 3
    strength = {name: s for name, s in zip(sorted({m["name"] for m in made.manifest["models"]}), [0.0, 1.5, -1.5])}
    rngs = [np.random.default_rng(k) for k in range(4)]

    def rater(rng):
        def rule(t):
            if t["attention"]:
                return t["answer"]
            p_left = 1 / (1 + np.exp(strength[t["right"]] - strength[t["left"]]))
            return "left" if rng.random() < p_left else "right"
        return rule

    files = [answer_all(made, tmp_path, f"r{k}", rater(rng)) for k, rng in enumerate(rngs)]
    result = report.report(study.load(tmp_path / "study"), files, report.ReportSettings(draws=300))
    names = sorted(strength, key=lambda n: -strength[n])
    assert result.values["ranking"] == names
    bt = result.details["bradley_terry"]
    assert bt[names[0]]["low"] > bt[names[2]]["high"]
    assert len(result.details["preferences"]) == 3 and result.values["raters"] == 4


def test_settings_are_checked_before_any_work(tmp_path):
    for kwargs, message in [({"protocol": "abx"}, "--protocol must be"), ({"n": 1}, "-n must be at least 2"),
                            ({"exposure_ms": -5}, "--exposure-ms")]:
        with pytest.raises(UserError, match=message):
            StudySettings(**kwargs)
    tiny_generator(tmp_path / "g.onnx")
    with pytest.raises(UserError, match="give two or more"):
        make_study(registry(), [tmp_path / "g.onnx"], None, StudySettings(protocol="2afc", attention=0), tmp_path / "s")
    with pytest.raises(UserError, match="--real DATASET is needed"):
        make_study(registry(), [tmp_path / "g.onnx"], None, StudySettings(), tmp_path / "s")
    assert not (tmp_path / "s").exists()


def test_2afc_with_two_generators_gives_one_preference_rate(tmp_path, mnist_mirror):
    paths = [tiny_generator(tmp_path / f"{name}.onnx", seed=k) for k, name in enumerate("ab")]
    made = make_study(registry(), paths, "mnist", StudySettings(protocol="2afc", n=12, attention=1), tmp_path / "study")
    first = made.manifest["models"][0]["name"]
    sides = {t["left"] for t in made.key.values() if not t["attention"]}
    assert len(sides) == 2  # each generator shows on the left sometimes
    file = answer_all(made, tmp_path, "ann",
                      lambda t: t["answer"] if t["attention"] else ("left" if t["left"] == first else "right"))
    result = report.report(study.load(tmp_path / "study"), [file], report.ReportSettings(draws=200))
    assert result.values["preference"] == 1.0 and result.values["answers"] == 12 and "ranking" not in result.values
    (pair,) = result.details["preferences"]
    assert pair.startswith(first) and result.details["preferences"][pair]["comparisons"] == 12
