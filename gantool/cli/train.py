"""`gantool train MODEL`: start a run, or continue one with `--resume RUN_DIR`."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Optional

import typer

def register(app: typer.Typer) -> None:
    # models may add flags of their own (cyclegan: --data-a, --data-b): Typer passes the words it
    # does not know through, and the model's spec decides (gantool/cli/model_flags.py)
    @app.command("train", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def train(
        ctx: typer.Context,
        model: Optional[str] = typer.Argument(None, metavar="MODEL", help="Model to train (see `gantool plugins`), e.g. dcgan, gan, toy."),
        data: Optional[str] = typer.Option(None, "--data", metavar="NAME[:ARG]", help="Dataset: mnist, mnist:test, folder:PATH, npz:PATH, ring, grid."),
        epochs: Optional[int] = typer.Option(None, "--epochs", help="Passes over the data (ignored when --steps is set)."),
        steps: Optional[int] = typer.Option(None, "--steps", help="Discriminator steps to train for."),
        batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Images per step."),
        lr: Optional[float] = typer.Option(None, "--lr", help="Adam learning rate (both networks)."),
        loss: Optional[str] = typer.Option(None, "--loss", help="Adversarial loss, e.g. bce."),
        device: Optional[str] = typer.Option(None, "--device", help="auto (cuda > mps > cpu), cpu, cuda, cuda:N, mps."),
        precision: Optional[str] = typer.Option(None, "--precision", help="auto (bf16 on CUDA), fp32, bf16, fp16."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (weights, data order, latents)."),
        n_critic: Optional[int] = typer.Option(None, "--n-critic", help="Discriminator steps per generator step."),
        ema: Optional[bool] = typer.Option(None, "--ema/--no-ema", help="Keep an EMA generator for samples and export."),
        label_smoothing: Optional[float] = typer.Option(None, "--label-smoothing", help="One-sided: real target 1 - s."),
        lr_decay: Optional[str] = typer.Option(None, "--lr-decay", metavar="linear", help="Let both learning rates fall linearly to 0 by the last step."),
        lr_d: Optional[float] = typer.Option(None, "--lr-d", help="Discriminator learning rate (TTUR), if not --lr.", rich_help_panel="Stabilizers"),
        instance_noise: Optional[float] = typer.Option(None, "--instance-noise", metavar="SIGMA", help="Gaussian noise on D's inputs, annealed to 0 over the run.", rich_help_panel="Stabilizers"),
        diffaugment: Optional[str] = typer.Option(None, "--diffaugment", metavar="POLICY", help="Augment what D sees: color,translation,cutout (any subset).", rich_help_panel="Stabilizers"),
        pack: Optional[int] = typer.Option(None, "--pack", metavar="M", help="PacGAN: D judges M samples jointly.", rich_help_panel="Stabilizers"),
        minibatch_std: Optional[bool] = typer.Option(None, "--minibatch-std/--no-minibatch-std", help="Show D the batch's standard deviation.", rich_help_panel="Stabilizers"),
        grad_clip: Optional[float] = typer.Option(None, "--grad-clip", metavar="NORM", help="Clip each network's gradient norm (logged as grad_norm_g/d).", rich_help_panel="Stabilizers"),
        historical_averaging: Optional[float] = typer.Option(None, "--historical-averaging", metavar="LAMBDA", help="Pull weights towards their running mean.", rich_help_panel="Stabilizers"),
        compile_: Optional[bool] = typer.Option(None, "--compile/--no-compile", help="torch.compile G and D (--set compile_mode=reduce-overhead for CUDA graphs).", rich_help_panel="Speed"),
        channels_last: Optional[str] = typer.Option(None, "--channels-last", metavar="auto|on|off", help="NHWC memory format for image models (auto: on CUDA).", rich_help_panel="Speed"),
        log_every: Optional[int] = typer.Option(None, "--log-every", help="Steps between metric lines."),
        sample_every: Optional[int] = typer.Option(None, "--sample-every", help="Steps between sample grids (0: end only)."),
        checkpoint_every: Optional[int] = typer.Option(None, "--checkpoint-every", help="Steps between kept checkpoints."),
        skip_bad: Optional[bool] = typer.Option(None, "--skip-bad", help="Skip unreadable images in folder datasets."),
        eval_every: Optional[int] = typer.Option(None, "--eval-every", metavar="N", help="Score the generator every N steps into metrics.jsonl (see --eval-metrics)."),
        eval_metrics: Optional[str] = typer.Option(None, "--eval-metrics", help="Metrics for --eval-every: fid, kid, is, pr, dc (default fid)."),
        eval_features: Optional[str] = typer.Option(None, "--features", help="Feature extractor for --eval-every (default lenet-mnist)."),
        eval_n: Optional[int] = typer.Option(None, "--eval-n", help="Images per --eval-every evaluation (default 2000)."),
        project: Optional[str] = typer.Option(None, "--project", help="Folder holding runs (default: runs)."),
        name: Optional[str] = typer.Option(None, "--name", help="Run name; exp, exp-2, ... never overwrite."),
        config: Optional[Path] = typer.Option(None, "--config", help="TOML file with config keys (see config.toml of a run)."),
        set_: list[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="Override any config key: --set model.ngf=32 --set beta1=0.0"),
        resume: Optional[Path] = typer.Option(None, "--resume", metavar="RUN_DIR", help="Continue RUN_DIR (or a checkpoint file) exactly."),
        tui: bool = typer.Option(False, "--tui", help="Show the live dashboard while training (q stops with a checkpoint)."),
        nproc: Optional[int] = typer.Option(None, "--nproc", metavar="N", help="Data-parallel: N worker processes on this machine (one per GPU; gloo on CPU). --batch-size stays the global batch.", rich_help_panel="Multi-process (torchrun)"),
        nnodes: int = typer.Option(1, "--nnodes", help="Machines taking part (run the same command on each).", rich_help_panel="Multi-process (torchrun)"),
        node_rank: int = typer.Option(0, "--node-rank", help="This machine's index, 0 .. nnodes-1.", rich_help_panel="Multi-process (torchrun)"),
        master_addr: Optional[str] = typer.Option(None, "--master-addr", help="Address of node 0 (multi-node).", rich_help_panel="Multi-process (torchrun)"),
        master_port: Optional[int] = typer.Option(None, "--master-port", help="Port on node 0 (default: a free port on one machine, 29500 across machines).", rich_help_panel="Multi-process (torchrun)"),
        sync_bn: Optional[bool] = typer.Option(None, "--sync-bn/--no-sync-bn", help="With --nproc: BatchNorm statistics over the global batch (SyncBatchNorm).", rich_help_panel="Multi-process (torchrun)"),
    ) -> None:
        """Train a GAN with the shared loop; writes runs/<model>/<name>/ (see docs/training.md).

        Ctrl-C (or SIGTERM) finishes the current step, saves a checkpoint and marks the
        run interrupted; `gantool train --resume RUN_DIR` continues it exactly.
        `--nproc N` trains with N data-parallel processes (see docs/distributed.md).
        Models can add flags of their own (cyclegan: --data-a DIR --data-b DIR; ctgan:
        --discrete COLS); `gantool plugins` lists them.
        """
        from gantool.cli import model_flags
        from gantool.config import parse_sets
        from gantool.core.errors import UserError
        from gantool.plugins import registry
        from gantool.train import session
        from gantool.train.distributed import from_environment
        from gantool.train.report import default_reporter, quiet_reporter

        if nproc is not None:
            if tui:
                raise UserError("--tui does not combine with --nproc; watch the run with `gantool monitor` instead")
            from gantool.train.launch import launch

            raise typer.Exit(launch(nproc, nnodes, node_rank, master_addr, master_port))
        dist = from_environment()
        if dist.enabled and tui:
            raise UserError("--tui does not combine with torchrun workers; watch the run with `gantool monitor` instead")

        model, extra_words = model_flags.find_model(model, list(ctx.args))
        flags = {k: v for k, v in {
            "data": data, "epochs": epochs, "steps": steps, "batch_size": batch_size, "lr": lr, "loss": loss,
            "device": device, "precision": precision, "seed": seed, "n_critic": n_critic, "ema": ema,
            "label_smoothing": label_smoothing, "log_every": log_every, "sample_every": sample_every,
            "checkpoint_every": checkpoint_every, "skip_bad": skip_bad, "project": project, "name": name,
            "lr_d": lr_d, "instance_noise": instance_noise, "diffaugment": diffaugment, "pack": pack,
            "minibatch_std": minibatch_std, "grad_clip": grad_clip, "historical_averaging": historical_averaging,
            "eval_every": eval_every, "eval_metrics": eval_metrics, "eval_features": eval_features, "eval_n": eval_n,
            "sync_bn": sync_bn, "lr_decay": lr_decay, "compile": compile_, "channels_last": channels_last,
        }.items() if v is not None}
        try:
            reporter = default_reporter() if not tui and dist.is_main else quiet_reporter()
            if resume is not None:
                allowed = {"epochs", "steps", "device"}
                extra = sorted(set(flags) - allowed) + (["--config"] if config else []) + (["--set"] if set_ else [])
                extra += extra_words
                if extra or model:
                    what = ", ".join(extra + ([f"model {model}"] if model else []))
                    raise UserError(f"--resume continues a run as it was configured; only --steps, --epochs and --device may change (got {what})")
                trainer, run, total, resumed = session.resume_run(registry(), resume, flags, reporter, dist)
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
            reporter.message(f"{state} at step {trainer.step}: {run.path}")
            if state == "interrupted":
                reporter.message(f"continue with: gantool train --resume {run.path}")
                raise typer.Exit(143 if trainer.received_signal == signal.SIGTERM else 130)
        finally:
            # leave the process group while Python is fully alive (see Dist.close)
            dist.close()
