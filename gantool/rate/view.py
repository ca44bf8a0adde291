"""The report as rich tables: the headline, per generator, per class or per pair, and the raters."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from gantool.rate.report import RateResult


def _interval(e: dict[str, Any] | None) -> str:
    if not e or e.get("value") is None:
        return "-"
    if e.get("low") is None:
        return f"{e['value']:.3f}"
    return f"{e['value']:.3f}  [{e['low']:.3f}, {e['high']:.3f}]"


def _hype_table(title: str, rows: dict[str, dict[str, Any]], label: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in (label, "HYPE (95% CI)", "fake judged real", "real judged fake", "answers"):
        table.add_column(column, justify="left" if column == label else "right")
    for name, h in rows.items():
        table.add_row(name, _interval(h["hype"]), _interval(h["fake_judged_real"]), _interval(h["real_judged_fake"]),
                      str(h["answers"]))
    return table


def tables(result: RateResult) -> list[Table | Text]:
    """What `gantool rate report` prints: a header line, then the tables."""
    p, v, d = result.protocol, result.values, result.details
    head = (f"study {p['study']} · {p['protocol']} · {v['raters']} rater(s) "
            f"({v['excluded_raters']} excluded) · {v['answers']} answers · real: {p.get('real') or '-'}")
    out: list[Table | Text] = [Text(head, style="bold")]
    if p["protocol"] == "hype":
        out.append(_hype_table("HYPE: the raters' error rate, 0.5 = indistinguishable from real",
                               {"all generators": d["overall"], **d["models"]}, "generator"))
        if d["classes"]:
            out.append(_hype_table("per class", d["classes"], "class"))
    else:
        prefs = Table(title="how often the first generator looked more real", title_justify="left")
        for column in ("pair", "preferred (95% CI)", "comparisons"):
            prefs.add_column(column, justify="left" if column == "pair" else "right")
        for pair, e in d["preferences"].items():
            prefs.add_row(pair, _interval(e), str(e["comparisons"]))
        out.append(prefs)
        if "bradley_terry" in d:
            bt = Table(title="Bradley-Terry log-strength (higher looks more real; mean 0)", title_justify="left")
            bt.add_column("generator")
            bt.add_column("score (95% CI)", justify="right")
            for name, e in sorted(d["bradley_terry"].items(), key=lambda kv: -kv[1]["value"]):
                bt.add_row(name, _interval(e))
            out.append(bt)
    out.append(_raters_table(result))
    return out


def _raters_table(result: RateResult) -> Table:
    v = result.values
    agreement = "-" if v["agreement"] is None else f"{v['agreement']:.3f}"
    kappa = "-" if v["fleiss_kappa"] is None else f"{v['fleiss_kappa']:.3f}"
    table = Table(title=f"raters · agreement {agreement} · Fleiss' kappa {kappa}", title_justify="left")
    for column in ("rater", "answered", "attention checks", "status", "file"):
        table.add_column(column)
    for r in result.raters:
        missed = len(r["missed"])
        checks = f"{r['attention_checks'] - missed}/{r['attention_checks']} passed"
        status = "excluded" if r["excluded"] else ("counted" if r["complete"] else "counted (incomplete)")
        table.add_row(r["rater"], str(r["answered"]), checks, status, r["file"])
    return table
