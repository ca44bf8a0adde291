"""The `gantool` command. One module per command; torch is imported only inside commands.

Errors: a `UserError` prints one line and exits 2; `--debug` shows the traceback too. A
diverged run exits 1 and an aborted one (a second Ctrl-C) 130, each with one line.
"""

from __future__ import annotations

import os
import sys
import time
import traceback

import typer

from gantool import __version__
from gantool.core.errors import PluginError, RunAborted, TrainingDiverged, UserError

HELP = """Train, watch, export, sample and evaluate GANs from the terminal.

Quick start:  gantool train dcgan --epochs 1     (MNIST, downloaded once)

Models, losses and datasets come from plugins: `gantool plugins` lists them."""

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gantool {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    from gantool.cli import (
        bench,
        checks,
        data_cmd,
        eval_cmd,
        export,
        monitor,
        plot,
        plugin_new,
        plugins_cmd,
        rate_cmd,
        recipes_cmd,
        sample,
        train,
    )
    from gantool.plugins import get_plugins

    app = typer.Typer(help=HELP, no_args_is_help=True, pretty_exceptions_enable=False,
                      context_settings={"help_option_names": ["-h", "--help"]}, rich_markup_mode=None)

    @app.callback()
    def root(
        version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
        debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    ) -> None:
        _state["debug"] = debug

    train.register(app)
    export.register(app)
    sample.register(app)
    eval_cmd.register(app)
    monitor.register(app)
    plot.register(app)
    plugins_cmd.register(app)
    recipes_cmd.register(app)
    checks.register(app)
    bench.register(app)
    plugin_new.register(app)
    data_cmd.register(app)
    rate_cmd.register(app)
    get_plugins().add_commands(app)
    return app


def _fail(message: str, code: int, label: str = "error") -> None:
    if _state["debug"] or os.environ.get("GANTOOL_DEBUG"):
        traceback.print_exc()
    if os.environ.get("RANK", "0") == "0":  # under --nproc every worker fails alike; rank 0 says it once
        print(f"{label}: {message}", file=sys.stderr)
    else:
        # the launcher stops every worker as soon as one exits: the others wait, so rank 0
        # has said it before it is stopped
        time.sleep(2.0)
    sys.exit(code)


def _run(args: list[str]) -> None:
    try:
        # standalone mode: Typer itself reports usage errors (exit 2) and exits via SystemExit;
        # only our own exceptions come through to here
        build_app()(args=args, prog_name="gantool")
    except UserError as exc:
        _fail(str(exc), 2)
    except (TrainingDiverged, PluginError) as exc:
        _fail(str(exc), 1)
    except RunAborted as exc:
        ignore_interrupts()
        _fail(str(exc), 130, label="aborted")


def ignore_interrupts() -> None:
    """On the way out after Ctrl-C: everything is written, and one more Ctrl-C during the
    interpreter's shutdown would only print 'Exception ignored in atexit callback'."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _leave_worker(code: object) -> None:
    """End a torch.distributed worker without interpreter finalization.

    DistributedDataParallel keeps the gloo process group alive past `destroy_process_group`,
    so its worker threads outlive the run; one still releasing a collective's tensors when
    Python finalizes needs the GIL, gets killed mid C++ destructor and the process aborts
    (exit 134) after training finished. Everything of ours is written and closed by now."""
    import logging

    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more to say anyway
            pass
    os._exit(code or 0)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    _state["debug"] = "--debug" in args
    try:
        _run(args)
    except SystemExit as exc:
        if argv is None and _in_distributed_worker():
            _leave_worker(exc.code)
        raise


def _in_distributed_worker() -> bool:
    try:
        return int(os.environ.get("WORLD_SIZE", "1")) > 1
    except ValueError:
        return False
