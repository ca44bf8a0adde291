"""The shared loop. The parts it trains are built by gantool/train/build.py, the update is
applied by gantool/train/update.py, a checkpoint's content is gantool/train/state.py's,
outside commands and signals are gantool/train/commands.py's; what remains here is the
order of side effects, on one screen (`_loop`), and the bookkeeping around it: metrics
lines, status heartbeats, sample grids, checkpoints, periodic evaluation and events.
"""

from __future__ import annotations

import time
from typing import Any

import torch

from gantool.config import RunConfig
from gantool.run import RunDir, checkpoint
from gantool.specs import DataArrays, LossSpec, ModelSpec
from gantool.train import fast_path, health, outcome, periodic_eval, schedule
from gantool.train.build import TrainingParts, build
from gantool.train.callbacks import Callbacks, attach_logger
from gantool.train.commands import Commands
from gantool.train.distributed import Dist
from gantool.train.loggers import logger_specs
from gantool.train.meter import Meter
from gantool.train.previews import make_preview
from gantool.train.report import PlainReporter
from gantool.train.state import Progress, load_state_dict, rng_install, rng_snapshot, state_dict

HEARTBEAT_S = 2.0


class Trainer:
    def __init__(self, cfg: RunConfig, model: ModelSpec, loss: LossSpec, data: DataArrays,
                 reporter: PlainReporter | None = None, dist: Dist = Dist()):
        self.parts: TrainingParts = build(cfg, model, loss, data, dist)
        self.cfg, self.dist = cfg, dist
        self.run: RunDir | None = None  # set by fit(); building first means bad inputs leave no folder
        self.reporter = reporter or PlainReporter()
        self.callbacks = Callbacks()
        self.update = self.parts.update  # `update(step, real, labels)`: one training step
        classes = data.num_classes if model.conditional else 0
        self.preview = make_preview(model, data, classes, cfg.sample_count, cfg.seed, self.device)
        self.periodic_eval = periodic_eval.for_run(cfg, data, self.model_args.latent_dim, classes, dist.is_main)
        # looked up now, so an unknown or unusable logger is refused before the run folder exists
        self._logger_specs = logger_specs(cfg.logger)
        # a fixed latent batch, so successive sample grids show the same "faces" evolving; the
        # RNG stream is the one fit() continues from, so nothing run in between can shift it
        fixed_z = torch.randn(self.preview.count, self.model_args.latent_dim,
                              generator=torch.Generator().manual_seed(cfg.seed + 1))
        self.progress = Progress(fixed_z=fixed_z, rng=rng_snapshot(self.device))
        self.last_checkpoint: str | None = None
        self.received_signal: int | None = None  # SIGINT or SIGTERM that interrupted fit()
        self._speed: dict[str, Any] = {"img_per_s": None, "eta_s": None}
        self.meter = Meter(dist)

    # the parts, by the names tests, bench and plugins use
    G = property(lambda self: self.parts.G)
    D = property(lambda self: self.parts.D)
    ema = property(lambda self: self.parts.ema)
    batches = property(lambda self: self.parts.batches)
    device = property(lambda self: self.parts.device)
    precision = property(lambda self: self.parts.precision)
    model_args = property(lambda self: self.parts.model_args)
    step = property(lambda self: self.progress.step)
    epoch = property(lambda self: self.progress.step // self.batches.steps_per_epoch)

    # -- state ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return state_dict(self.parts, self.progress)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.progress = load_state_dict(self.parts, state)

    # -- bookkeeping -----------------------------------------------------------------------
    def _due(self, every: int) -> bool:
        """Whether a cadence of `every` steps (0: never) lands on the current step."""
        return bool(every) and self.step % every == 0

    def _status(self, state: str, **extra: Any) -> None:
        """Every status write is a heartbeat."""
        self._state = state
        self.run.status(state=state, step=self.step, total_steps=self.total, epoch=self.epoch,
                        model=self.cfg.model, device=str(self.device), precision=self.precision.name,
                        last_checkpoint=self.last_checkpoint, **self._speed, **extra)
        self._last_heartbeat = time.monotonic()

    def _heartbeat(self, state: str = "running") -> None:
        if time.monotonic() - self._last_heartbeat > HEARTBEAT_S:
            self._status(state)

    def _metrics_line(self, values: dict[str, Any]) -> None:
        record = {"step": self.step, "epoch": self.epoch, "time": round(time.time(), 3), **values}
        self.run.metrics(record)
        if self.dist.is_main:
            self.callbacks.fire("on_log", self, record=record)

    def _tick(self) -> None:
        img_per_s = self.meter.images_per_second()
        means = self.meter.means(self.step)  # a NaN loss is named first: it says more than the weights
        health.check(self.parts, self.step)  # e.g. Adam's moments overflowed while the losses look fine
        values = {"elapsed": round(self.progress.elapsed, 3), **{k: round(v, 6) for k, v in means.items()},
                  "img_per_s": img_per_s}
        self._metrics_line(values)
        remaining = (self.total - self.step) * self.cfg.batch_size / img_per_s if img_per_s else None
        self._speed = {"img_per_s": img_per_s, "eta_s": round(remaining, 1) if remaining else None}
        self._status("running")
        self.reporter.tick({"step": self.step, "epoch": self.epoch, **values})
        self.meter.reset()

    def sample(self) -> str:
        """Write samples/step-NNNNNNN.png from the fixed latents (EMA weights when enabled)."""
        if not self.dist.is_main:  # every process holds the same weights; one draws
            return ""
        g = self.ema.model if self.ema else self.G
        path = self.run.layout.sample(self.step)
        was_training = g.training
        g.eval()
        try:  # eagerly even when compiled: another batch size would compile a second graph
            with torch.no_grad(), fast_path.eager(self.cfg.compile):
                extra = self.preview.draw(g, self.progress.fixed_z.to(self.device), path)
        finally:
            g.train(was_training)
        if extra:  # e.g. mode coverage: a metrics line of its own, at the sample's step
            self._metrics_line(extra)
        self.run.event("sample", self.step, path=str(path.relative_to(self.run.path)))
        self.callbacks.fire("on_sample", self, path=path)
        return str(path)

    def evaluate(self) -> dict[str, float]:
        """Score the sampling generator (EMA when kept) and log it as a metrics line and event."""
        if not self.dist.is_main:
            return {}
        with fast_path.eager(self.cfg.compile):
            values = self.periodic_eval(self.ema.model if self.ema else self.G, self.device)
        self._metrics_line(values)
        self.run.event("eval", self.step, **values)
        self.callbacks.fire("on_eval", self, values=values)
        return values

    def save_checkpoint(self, periodic: bool) -> None:
        # never save a state trained on a NaN, or one the last update blew up: both raise
        # TrainingDiverged, and the last good checkpoint stays the last one written
        self.meter.means(self.step)
        health.check(self.parts, self.step)
        if not self.dist.is_main:  # the same state on every process; rank 0 keeps it
            return
        path = checkpoint.save(self.state_dict(), self.run.checkpoints, self.step, keep_step_file=periodic,
                               keep=self.cfg.keep_checkpoints)
        self.last_checkpoint = str(path.relative_to(self.run.path))
        self._status(self._state)  # status.json names the new checkpoint now, not at the next heartbeat
        self.run.event("checkpoint", self.step, path=self.last_checkpoint)
        self.callbacks.fire("on_checkpoint", self, path=path)

    # -- control -----------------------------------------------------------------------------
    def _handle(self, command: str) -> None:
        if command == "stop":
            self.commands.stop = "stopped"
        elif command == "checkpoint":
            self.save_checkpoint(periodic=True)
            self.reporter.message(f"checkpoint saved at step {self.step}")
        elif command == "sample":
            self.reporter.message(f"sample grid: {self.sample()}")
        elif command == "pause":
            self.run.event("paused", self.step)
            self._status("paused")
            self.reporter.message(f"paused at step {self.step} (send 'resume' to continue)")
            self.commands.paused(self.step, self._handle, self._while_paused)
            if self.commands.stop is None:  # a stop or signal while paused ends the run; nothing resumed
                self.run.event("resumed", self.step, reason="control")
                self._status("running")
            self.meter.restart_timer()

    def _poll(self) -> None:
        for command in self.commands.poll(self.step):
            self._handle(command)
        self.commands.report_ignored(self.run, self.reporter, self.step)
        self._heartbeat()

    def _while_paused(self) -> None:
        self.commands.report_ignored(self.run, self.reporter, self.step)
        self._heartbeat("paused")

    # -- the loop -----------------------------------------------------------------------------
    def fit(self, run: RunDir, total_steps: int, resumed: bool = False) -> str:
        """Train until `total_steps`; returns the final state (finished, stopped, interrupted)."""
        self.run, self.total = run, total_steps
        self.run.acquire_lock()  # held already when the run came from RunDir.create/open
        self.commands = Commands(self.run.layout.control, self.dist)
        try:
            with self.commands.signals():  # also while a failure is recorded: no Ctrl-C cuts that short
                try:
                    self._start(resumed)
                    state = self._loop()
                    if self.dist.is_main:  # loggers may still write: before the lock is given up
                        self.callbacks.fire("on_train_end", self, state=state)
                except BaseException as exc:
                    self._fail(*outcome.ending(exc, self.commands.aborted, self.step, self.last_checkpoint))
                    raise
        except BaseException as exc:
            instead = outcome.replacement(exc, self.commands.aborted, self.step, self.last_checkpoint)
            if instead is not None:
                raise instead from None
            raise
        finally:
            self.received_signal = self.commands.received_signal
            self.reporter.close()
            self.run.release_lock()
        return state

    def _fail(self, state: str, reason: str) -> None:
        try:
            if state == "aborted":  # a Ctrl-C inside mkstemp leaves a temp file atomic_write never saw
                self.run.remove_temp_files()
            self.run.event(state, self.step, reason=reason)
            self._status(state, reason=reason)
        except OSError:  # the disk that failed the run may refuse these too; the original error is the news
            pass
        if self.dist.is_main:
            self.callbacks.fire("on_train_end", self, state=state)

    def _loop(self) -> str:
        cfg, run_start = self.cfg, time.perf_counter()
        self.meter.reset()
        while self.step < self.total and self.commands.stop is None:
            # control: the monitor's commands and signals, polled cheaply between steps
            if self.commands.due(self.step):
                self._poll()
                run_start = time.perf_counter()  # time spent paused is not training time
                if self.commands.stop:
                    break
            # learning rate, batch, forward backward update (no host sync in here)
            if cfg.lr_decay:
                schedule.linear_decay(self.parts.optimizers, cfg.lr, cfg.lr_discriminator, self.step, self.total)
            real, labels = self.batches.next()
            self.meter.add(self.update(self.step, real, labels), real.shape[0] * self.dist.world)
            self.progress.step += 1
            # timing and logging: the losses are read once per log tick
            self.reporter.advance()
            self.progress.elapsed += time.perf_counter() - run_start
            run_start = time.perf_counter()
            if self.step % cfg.log_every == 0 or self.step == self.total:
                self._tick()
            # samples, checkpoints, periodic evaluation
            if self._due(cfg.sample_every):
                self.sample()
            if self._due(cfg.checkpoint_every):
                self.save_checkpoint(periodic=True)
            if self.periodic_eval is not None and self._due(cfg.eval_every):
                self.evaluate()
        return self._finish()

    def _finish(self) -> str:
        """Termination: the last tick, grid and checkpoint, then the final event and status."""
        if self.meter.counts:
            self._tick()
        state = self.commands.stop or "finished"
        if state == "finished" and not self._due(self.cfg.sample_every):
            self.sample()
        if state != "finished" or not self._due(self.cfg.checkpoint_every):
            self.save_checkpoint(periodic=False)
        reason = {"interrupted": "interrupted by signal", "stopped": "stopped by control command"}.get(state)
        self.run.event(state, self.step, **({"reason": reason} if reason else {}))
        self._status(state, **({"reason": reason} if reason else {}))
        return state

    def _start(self, resumed: bool) -> None:
        """Before the first step: loggers (a failing one fails the run), events, status, RNG stream."""
        self.parts.ctx.view.total_steps = self.total  # instance noise anneals over the run
        if self.dist.is_main:
            for spec in self._logger_specs:
                attach_logger(self.callbacks, spec.factory(self.run.path, self.cfg))
            self._logger_specs = []  # attached once, even if fit() is called again
        info = {"device": str(self.device), "precision": self.precision.name, "total_steps": self.total}
        self.run.event("resumed" if resumed else "started", self.step, **info)
        self._status("running")
        self.reporter.start(self.total, self.step, f"{self.cfg.model}/{self.run.path.name}")
        if self.dist.is_main:
            self.callbacks.fire("on_train_start", self, total_steps=self.total, resumed=resumed)
        self.G.train()
        self.D.train()
        rng_install(self.progress.rng, self.device)
