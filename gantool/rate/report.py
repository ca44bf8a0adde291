"""`gantool rate report`: the raters' answers and the study's key in, the numbers out.

Raters who fail more attention checks than allowed are excluded (and listed). The rest are
pooled: HYPE (overall, per generator, per class for conditional generators) or 2AFC
preferences and Bradley-Terry scores, each with a bootstrap interval (gantool/rate/stats.py),
and the agreement between raters. The result is written like every evaluation: as
`eval/<time>-rate.json` in each run directory the study's generators came from, or in the
study folder's `eval/` when they came from .onnx files.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gantool.core.errors import UserError
from gantool.metrics.evaluate import write_timestamped_json
from gantool.rate import answers as answers_file
from gantool.rate import stats
from gantool.rate.study import CHOICES, Study


@dataclass
class ReportSettings:
    allowed_misses: int = 0  # failed attention checks a rater may have and still count
    draws: int = 2000  # bootstrap draws
    seed: int = 0  # of the bootstrap

    def __post_init__(self) -> None:
        if self.allowed_misses < 0:
            raise UserError(f"--allowed-misses must be 0 or more, got {self.allowed_misses}")
        if self.draws < 100:
            raise UserError(f"--bootstrap must be at least 100 draws, got {self.draws}")


@dataclass
class RateResult:
    values: dict[str, Any]  # the headline numbers, flat
    protocol: dict[str, Any]
    details: dict[str, Any]  # per generator / class / pair, with intervals
    raters: list[dict[str, Any]]
    seconds: float = 0.0
    paths: list[Path] = field(default_factory=list)
    write_error: str = ""  # why a result file could not be written (the numbers are still good to print)

    def to_json(self) -> dict[str, Any]:
        return {"values": self.values, "protocol": self.protocol, "details": self.details, "raters": self.raters,
                "seconds": round(self.seconds, 2)}


def correct_answer(protocol: str, truth: dict[str, Any]) -> str | None:
    """The answer the key expects (hype: always; 2afc: only on attention checks)."""
    return truth["truth"] if protocol == "hype" else truth.get("answer")


def read_raters(study: Study, files: list[Path], settings: ReportSettings) -> list[tuple[answers_file.RaterAnswers, dict]]:
    """Every answers file, checked against the study, with its attention-check record."""
    choices = {value for value, _, _ in CHOICES[study.protocol]}
    raters, sessions = [], {}
    for path in answers_file.answer_files(files):
        rater = answers_file.read(path, study.hash, study.protocol, choices, set(study.key))
        if rater.session in sessions:
            raise UserError(f"{path} and {sessions[rater.session]} are the same rater session; give each file once")
        sessions[rater.session] = path
        checks = [item for item, truth in study.key.items() if truth["attention"] and item in rater.answers]
        missed = [item for item in checks if rater.answers[item] != correct_answer(study.protocol, study.key[item])]
        raters.append((rater, {"attention_checks": len(checks), "missed": missed,
                               "excluded": len(missed) > settings.allowed_misses}))
    return raters


def report(study: Study, files: list[Path], settings: ReportSettings, out_dirs: list[Path] | None = None) -> RateResult:
    """Pool the answers files into the study's numbers and write the result."""
    start = time.perf_counter()
    raters = read_raters(study, files, settings)
    included = [r for r, record in raters if not record["excluded"]]
    if not included:
        raise UserError(f"every rater failed the attention checks (more than {settings.allowed_misses} missed); "
                        "nothing to report (see --allowed-misses)")
    rng = np.random.default_rng(settings.seed)
    tests = [item for item, truth in study.key.items() if not truth["attention"]]
    if study.protocol == "hype":
        values, details = _hype(study, included, tests, settings.draws, rng)
    else:
        values, details = _pairs(study, included, tests, settings.draws, rng)
    observed, kappa = stats.agreement(_ratings(study, included, tests))
    values.update({"agreement": _round(observed), "fleiss_kappa": _round(kappa), "raters": len(included),
                   "excluded_raters": len(raters) - len(included)})
    protocol = {key: study.manifest.get(key) for key in
                ("protocol", "study", "seed", "n", "items", "attention_checks", "exposure_ms", "real", "models")}
    protocol.update({"allowed_misses": settings.allowed_misses, "interval": stats.LEVEL,
                     "bootstrap": {"draws": settings.draws, "seed": settings.seed,
                                   "method": "two-stage: raters, then each rater's answers"},
                     "answers_files": [str(r.path) for r, _ in raters]})
    rater_rows = [{"rater": r.rater, "session": r.session, "file": str(r.path), "complete": r.complete,
                   "answered": len(r.answers), **record, "answers": r.answers} for r, record in raters]
    result = RateResult(values, protocol, details, rater_rows, time.perf_counter() - start)
    for folder in out_dirs or []:
        write(result, folder)
    return result


def _hype(study: Study, raters, tests: list[str], draws: int, rng) -> tuple[dict, dict]:
    key = study.key

    def counts(select) -> tuple[np.ndarray, np.ndarray]:
        items = [i for i in tests if select(key[i])]
        errors = [sum(r.answers[i] != key[i]["truth"] for i in items if i in r.answers) for r in raters]
        totals = [sum(i in r.answers for i in items) for r in raters]
        return np.array(errors), np.array(totals)

    def score(select_fake, select_real) -> stats.Hype:
        return stats.hype(*counts(select_fake), *counts(select_real), draws=draws, rng=rng)

    real = lambda t: t["truth"] == "real"  # noqa: E731
    overall = score(lambda t: t["truth"] == "fake", real)
    models = {m["name"]: _hype_json(score(lambda t, name=m["name"]: t["model"] == name, real))
              for m in study.manifest["models"]}
    classes = sorted({t["class"] for t in key.values() if t["truth"] == "fake" and t["class"] is not None})
    per_class = {str(c): _hype_json(score(lambda t, c=c: t["truth"] == "fake" and t["class"] == c,
                                          lambda t, c=c: real(t) and t["class"] == c)) for c in classes}
    values = {"hype": overall.score.value, "hype_low": overall.score.low, "hype_high": overall.score.high,
              "fake_judged_real": overall.fake_judged_real.value, "real_judged_fake": overall.real_judged_fake.value}
    return ({**{k: _round(v) for k, v in values.items()}, "answers": overall.answers},
            {"overall": _hype_json(overall), "models": models, "classes": per_class})


def _hype_json(h: stats.Hype) -> dict[str, Any]:
    return {"hype": h.score.to_json(), "fake_judged_real": h.fake_judged_real.to_json(),
            "real_judged_fake": h.real_judged_fake.to_json(), "answers": h.answers}


def _pairs(study: Study, raters, tests: list[str], draws: int, rng) -> tuple[dict, dict]:
    names = [m["name"] for m in study.manifest["models"]]
    index = {name: i for i, name in enumerate(names)}
    wins = np.zeros((len(raters), len(names), len(names)), np.int64)
    for r, rater in enumerate(raters):
        for item in tests:
            if item in rater.answers:
                truth = study.key[item]
                winner, loser = (truth["left"], truth["right"]) if rater.answers[item] == "left" else \
                    (truth["right"], truth["left"])
                wins[r, index[winner], index[loser]] += 1
    prefs = stats.preferences(wins, draws=draws, rng=rng)
    pairs = {f"{names[i]} > {names[j]}": {**est.to_json(), "comparisons": int(wins[:, i, j].sum() + wins[:, j, i].sum())}
             for (i, j), est in prefs.rates.items()}
    details: dict[str, Any] = {"preferences": pairs}
    values: dict[str, Any] = {"answers": int(wins.sum())}
    if prefs.strengths is not None:
        details["bradley_terry"] = {name: est.to_json() for name, est in zip(names, prefs.strengths)}
        values["ranking"] = [names[i] for i in np.argsort([-e.value for e in prefs.strengths])]
    elif len(pairs) == 1:
        (only,) = prefs.rates.values()
        values.update({"preference": _round(only.value), "preference_low": _round(only.low),
                       "preference_high": _round(only.high)})
    return values, details


def _ratings(study: Study, raters, tests: list[str]) -> np.ndarray:
    """`[item, rater]` answer indices (-1: not answered), for the agreement."""
    order = {value: k for k, (value, _, _) in enumerate(CHOICES[study.protocol])}
    return np.array([[order[r.answers[i]] if i in r.answers else -1 for r in raters] for i in tests]).reshape(len(tests), -1)


def _round(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def output_folders(study: Study, folder: Path) -> list[Path]:
    """Where the result goes: eval/ of every run directory the generators came from that is
    still there, else the study folder's eval/."""
    from gantool.run.layout import EVAL

    runs = [Path(m["run"]) for m in study.manifest["models"] if m.get("run") and Path(m["run"]).is_dir()]
    return [run / EVAL for run in dict.fromkeys(runs)] or [Path(folder) / EVAL]


def write(result: RateResult, folder: Path) -> None:
    """folder/<time>-rate.json, never replacing an earlier result; added to `result.paths`,
    or to `result.write_error` when the folder cannot take it."""
    try:
        result.paths.append(write_timestamped_json(folder, result.to_json(), "rate"))
    except OSError as exc:
        result.write_error += f"{exc.strerror}; the numbers above are not saved. "
