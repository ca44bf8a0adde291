"""`gantool rate make | tui | report`: human evaluation studies (docs/rating.md).

Parsing and printing only: the study is gantool/rate/make.py, the terminal client
gantool/rate/tui.py and the numbers gantool/rate/report.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

HELP = """Human evaluation: real-vs-fake (HYPE) and side-by-side (2AFC) studies.

\b
  gantool rate make RUN --real mnist -n 100 -o study/    a page to mail to raters
  gantool rate tui study/                                 rate in the terminal
  gantool rate report study/ answers/*.json               pool the raters' answers

See docs/rating.md for what the numbers mean and how to run a study."""


def register(app: typer.Typer) -> None:
    rate = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None)
    app.add_typer(rate, name="rate")

    @rate.command("make")
    def make(
        generators: list[Path] = typer.Argument(..., metavar="RUN|MODEL.onnx...", help="Generators to rate: run directories (their generator.onnx) or .onnx files."),
        out: Path = typer.Option(..., "-o", "--output", metavar="STUDY/", help="New folder for the study (never overwritten)."),
        real: str | None = typer.Option(None, "--real", metavar="DATASET", help="Real images: any image dataset (mnist, mnist:test, folder:PATH, ...), loaded at the generators' size."),
        protocol: str = typer.Option("hype", "--protocol", metavar="hype|2afc", help="hype: one image at a time, real or fake; 2afc: two generators side by side, which looks more real."),
        n: int = typer.Option(100, "-n", help="Items to rate (hype: images, half real; 2afc: pairs), attention checks not counted."),
        seed: int = typer.Option(0, "--seed", help="Seed of the latents, the real subset and the order."),
        attention: int | None = typer.Option(None, "--attention", metavar="K", show_default="n/20, at least 1", help="Attention checks (noise images; see docs/rating.md)."),
        exposure_ms: int = typer.Option(0, "--exposure-ms", metavar="MS", help="Hide each image after MS milliseconds (HYPE-time style); 0: no limit."),
        provider: str = typer.Option("auto", "--provider", metavar="auto|cuda|cpu", help="ONNX Runtime provider for generation."),
    ) -> None:
        """Write a study: index.html for the raters (self-contained: mail it, open it from
        disk), manifest.json, and key.json (the answers; keep it, do not send it)."""
        from gantool.plugins import registry
        from gantool.rate.make import make_study
        from gantool.rate.study import StudySettings

        settings = StudySettings(protocol=protocol, n=n, seed=seed, attention=attention, exposure_ms=exposure_ms)
        study = make_study(registry(), generators, real, settings, out, provider=provider)
        m = study.manifest
        typer.echo(f"study {m['study']}: {m['items']} items ({m['n']} {m['protocol']} + {m['attention_checks']} attention checks)")
        typer.echo(f"  send to raters: {out / 'index.html'}")
        typer.echo(f"  keep:           {out / 'key.json'} (the answer key; not for raters)")
        typer.echo(f"  then:           gantool rate report {out} ANSWERS.json...")

    @rate.command("tui")
    def tui(
        study: Path = typer.Argument(..., metavar="STUDY/|index.html", help="A study folder, or just its index.html."),
        rater: str = typer.Option(os.environ.get("USER") or "anonymous", "--rater", help="Your name or initials, saved with the answers."),
        answers: Path | None = typer.Option(None, "--answers", metavar="FILE", show_default="answers-RATER.json beside index.html", help="Where to save (and resume) the answers."),
        image: str = typer.Option("auto", "--image", metavar="auto|sixel|tgp|halfblocks", help="How to draw the images (as in gantool monitor)."),
    ) -> None:
        """Rate a study in the terminal (F / J to answer, U to undo, Q to quit and resume later).
        Answers are saved after each one, in the same JSON the page exports."""
        from gantool.rate.tui import answers_path, run_tui

        run_tui(study, rater, answers or answers_path(study, rater), image)

    @rate.command("report")
    def report(
        study: Path = typer.Argument(..., metavar="STUDY/", help="The study folder (with manifest.json and key.json)."),
        files: list[Path] = typer.Argument(..., metavar="ANSWERS...", help="The raters' answers files, or folders of them."),
        key: Path | None = typer.Option(None, "--key", metavar="key.json", help="The answer key, when it is kept outside the study folder."),
        allowed_misses: int = typer.Option(0, "--allowed-misses", metavar="K", help="Failed attention checks a rater may have and still be counted."),
        bootstrap: int = typer.Option(2000, "--bootstrap", metavar="DRAWS", help="Bootstrap draws for the 95% intervals."),
        seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
    ) -> None:
        """Pool the raters: HYPE score (error rate; 0.5 = indistinguishable) or 2AFC preferences
        and Bradley-Terry scores, with 95% intervals, agreement and exclusions; writes
        eval/<time>-rate.json (in the generators' run directories, else in the study)."""
        from rich.console import Console

        from gantool.core.errors import UserError
        from gantool.rate import report as rate_report
        from gantool.rate import study as rate_study
        from gantool.rate.view import tables

        loaded = rate_study.load(study, key)
        settings = rate_report.ReportSettings(allowed_misses=allowed_misses, draws=bootstrap, seed=seed)
        result = rate_report.report(loaded, files, settings, rate_report.output_folders(loaded, study))
        console = Console()
        for table in tables(result):
            console.print(table)
        for path in result.paths:
            Console(stderr=True).print(f"written {path}")
        if result.write_error:
            raise UserError(result.write_error.strip())
