"""`gantool train MODEL`: start a run, or continue one with `--resume RUN_DIR`.

The config options (--batch-size, --ema/--no-ema, ...) are not written here: each RunConfig
field that declares a flag in gantool/config.py becomes one, with that field's help, metavar
and group (its help panel). Only the launcher's own options, which are no config keys, are
declared below. A config option left out is None and absent from the flags layer.
"""

from __future__ import annotations

import dataclasses
import inspect
import signal
from pathlib import Path
from typing import Any, NoReturn

import typer
from typer.core import TyperCommand

from gantool.config import GROUPS, RESUMABLE_KEYS, SETTINGS, RunConfig, flag_of

_TYPES = {"str": str, "int": int, "float": float, "bool": bool}
_DISTRIBUTED = GROUPS["distributed"]


def config_options() -> list[inspect.Parameter]:
    """A keyword parameter, defaulting to a typer.Option, for every config field with a flag;
    in the order of the help panels (GROUPS), fields in declaration order within each."""
    params = []
    for f in dataclasses.fields(RunConfig):
        setting = SETTINGS[f.name]
        if setting.flag is None:
            continue
        kind = _TYPES[f.type]
        decl = f"{setting.flag}/--no-{setting.flag[2:]}" if kind is bool else setting.flag
        option = typer.Option(None, decl, metavar=setting.metavar, help=setting.help,
                              rich_help_panel=GROUPS[setting.group])
        params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=option,
                                        annotation=kind | None))
    order = list(GROUPS)
    return sorted(params, key=lambda p: order.index(SETTINGS[p.name].group))


class PanelledCommand(TyperCommand):
    """Plain (non-rich) help that still shows options in their panels: the unpanelled
    options first, then the config groups in GROUPS order, then any other panel."""

    def format_options(self, ctx: typer.Context, formatter: Any) -> None:  # Click's HelpFormatter, as Typer ships it
        sections: dict[str, list[tuple[str, str]]] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            title = "Arguments" if param.param_type_name == "argument" else getattr(param, "rich_help_panel", None) or "Options"
            sections.setdefault(title, []).append(record)
        ranked = ["Arguments", "Options", *GROUPS.values()]
        for title in sorted(sections, key=lambda t: ranked.index(t) if t in ranked else len(ranked)):
            with formatter.section(title):
                formatter.write_dl(sections[title])


def register(app: typer.Typer) -> None:
    # models may add flags of their own (cyclegan: --data-a, --data-b): Typer passes the words it
    # does not know through, and the model's spec decides (gantool/cli/model_flags.py)
    @app.command("train", cls=PanelledCommand,
                 context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def train(
        ctx: typer.Context,
        model: str | None = typer.Argument(None, metavar="MODEL", help="Model to train (see `gantool plugins`), e.g. dcgan, gan, toy."),
        config: Path | None = typer.Option(None, "--config", help="TOML file with config keys (see config.toml of a run)."),
        set_: list[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Override any config key: --set model.ngf=32 --set beta1=0.0"),
        resume: Path | None = typer.Option(None, "--resume", metavar="RUN_DIR", help="Continue RUN_DIR (or a checkpoint file) exactly."),
        start: Path | None = typer.Option(None, "--from", metavar="CHECKPOINT", help="With --resume RUN_DIR: continue from this checkpoint of the run (e.g. step-0002000.pt) instead of last.pt."),
        tui: bool = typer.Option(False, "--tui", help="Show the live dashboard while training (q stops with a checkpoint)."),
        nproc: int | None = typer.Option(None, "--nproc", metavar="N", help="Data-parallel: N worker processes on this machine (one per GPU; gloo on CPU). --batch-size stays the global batch.", rich_help_panel=_DISTRIBUTED),
        nnodes: int = typer.Option(1, "--nnodes", help="Machines taking part (run the same command on each).", rich_help_panel=_DISTRIBUTED),
        node_rank: int = typer.Option(0, "--node-rank", help="This machine's index, 0 .. nnodes-1.", rich_help_panel=_DISTRIBUTED),
        master_addr: str | None = typer.Option(None, "--master-addr", help="Address of node 0 (multi-node).", rich_help_panel=_DISTRIBUTED),
        master_port: int | None = typer.Option(None, "--master-port", help="Port on node 0 (default: a free port on one machine, 29500 across machines).", rich_help_panel=_DISTRIBUTED),
        **options: Any,
    ) -> None:
        """Train a GAN with the shared loop; writes runs/<model>/<name>/ (see docs/training.md).

        Ctrl-C (or SIGTERM) finishes the current step, saves a checkpoint and marks the
        run interrupted; `gantool train --resume RUN_DIR` continues it exactly.
        `--nproc N` trains with N data-parallel processes (see docs/distributed.md).
        Models can add flags of their own (cyclegan: --data-a DIR --data-b DIR; ctgan:
        --discrete COLS); `gantool plugins` lists them.
        """
        if nproc is not None:
            _launch(nproc, nnodes, node_rank, master_addr, master_port, tui)
        flags = {key: value for key, value in options.items() if value is not None}
        if start is not None and resume is None:
            from gantool.core.errors import UserError

            raise UserError("--from needs --resume RUN_DIR: it picks which of the run's checkpoints to continue from")
        _run(ctx, model, flags, config, set_, resume, tui, start)

    # Typer reads the command's parameters from its signature: the launcher's, then the config's
    launcher = [p for p in inspect.signature(train).parameters.values() if p.kind is not p.VAR_KEYWORD]
    train.__signature__ = inspect.Signature([*launcher, *config_options()])  # type: ignore[attr-defined]


def _launch(nproc: int, nnodes: int, node_rank: int, master_addr: str | None, master_port: int | None, tui: bool) -> NoReturn:
    from gantool.core.errors import UserError
    from gantool.train.launch import launch

    if tui:
        raise UserError("--tui does not combine with --nproc; watch the run with `gantool monitor` instead")
    raise typer.Exit(launch(nproc, nnodes, node_rank, master_addr, master_port))


def refuse_changes_on_resume(flags: dict[str, Any], config: Path | None, sets: list[str], extra_words: list[str],
                             model: str | None) -> None:
    """`--resume` continues a run as it was configured: only RESUMABLE_KEYS may change."""
    from gantool.core.errors import UserError

    extra = sorted(set(flags) - set(RESUMABLE_KEYS)) + (["--config"] if config else []) + (["--set"] if sets else [])
    extra += extra_words
    if extra or model:
        what = ", ".join(extra + ([f"model {model}"] if model else []))
        allowed = [flag_of(key) for key in RESUMABLE_KEYS]
        raise UserError(f"--resume continues a run as it was configured; only {', '.join(allowed[:-1])} and "
                        f"{allowed[-1]} may change (got {what})")


def _run(ctx: typer.Context, model: str | None, flags: dict[str, Any], config: Path | None, set_: list[str],
         resume: Path | None, tui: bool, start: Path | None = None) -> None:
    """Build the trainer (new or resumed run), train, and say where the run is."""
    from gantool.cli import model_flags
    from gantool.config import parse_sets
    from gantool.core.errors import UserError
    from gantool.plugins import registry
    from gantool.train import session
    from gantool.train.distributed import from_environment
    from gantool.train.report import default_reporter, quiet_reporter

    dist = from_environment()
    if dist.enabled and tui:
        raise UserError("--tui does not combine with torchrun workers; watch the run with `gantool monitor` instead")
    model, extra_words = model_flags.find_model(model, list(ctx.args))
    try:
        reporter = default_reporter() if not tui and dist.is_main else quiet_reporter()
        if resume is not None:
            refuse_changes_on_resume(flags, config, set_, extra_words, model)
            trainer, run, total, resumed = session.resume_run(registry(), resume, flags, reporter, dist, start)
        else:
            if not model:
                raise UserError("name a model to train, e.g. `gantool train dcgan` (`gantool plugins` lists them)")
            # the model's own flags sit with the command line's; an explicit --set still wins
            sets = {**model_flags.parse(registry().get("model", model), extra_words), **parse_sets(set_)}
            trainer, run, total, resumed = session.new_run(registry(), model, config, flags, sets, reporter, dist)
        if tui:
            from gantool.tui.live import train_with_dashboard

            state = train_with_dashboard(trainer, run, total, resumed)
            reporter = default_reporter()
        else:
            state = trainer.fit(run, total, resumed=resumed)
        if state == "interrupted":  # the checkpoint is written: a further Ctrl-C has nothing left to stop
            from gantool.cli import ignore_interrupts

            ignore_interrupts()
        reporter.message(f"{state} at step {trainer.step}: {run.path}")
        if state == "interrupted":
            reporter.message(f"continue with: gantool train --resume {run.path}")
            raise typer.Exit(143 if trainer.received_signal == signal.SIGTERM else 130)
    finally:
        # leave the process group while Python is fully alive (see Dist.close)
        dist.close()
