"""The shared loop. It owns devices, precision, optimizers, EMA, logging, samples,
checkpoints, control and signals; the model only provides modules (and optionally a step).
"""

from __future__ import annotations

import dataclasses
import math
import signal
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterator

import torch

from gantool import __version__
from gantool.config import RunConfig
from gantool.core.errors import TrainingDiverged, UserError
from gantool.core.imaging import save_grid, save_scatter, to_uint8
from gantool.core.table_preview import save_table_preview
from gantool.metrics.modes import SAMPLES as MODE_SAMPLES, mode_coverage
from gantool.specs import DataArrays, GanModules, LossSpec, ModelArgs, ModelSpec
from gantool.train import checkpoint
from gantool.train.batches import Batches
from gantool.train.control import ControlFile
from gantool.train.device import pick_device, pick_precision
from gantool.train.distributed import ControlSync, Dist, wrap
from gantool.train import fast_path
from gantool.train.ema import EMA
from gantool.train.report import PlainReporter
from gantool.train.rundir import CONTROL, RunDir
from gantool.train.stabilizers import Stabilizers, WithMinibatchStd, discriminator_args
from gantool.train.step import AdversarialStep, Regularizers, StepContext

HEARTBEAT_S = 2.0
TABLE_SAMPLES = 2000  # rows behind a table's preview histograms


class Trainer:
    def __init__(self, cfg: RunConfig, model: ModelSpec, loss: LossSpec, data: DataArrays,
                 reporter: PlainReporter | None = None, dist: Dist = Dist()):
        if data.kind != model.data_kind:
            raise UserError(f"model {model.name!r} trains on {model.data_kind} data but {cfg.data!r} is {data.kind} data")
        if dist.enabled and model.make_step and not model.distributed:
            raise UserError(f"model {model.name!r} has its own training step, which does not support --nproc")
        self.cfg = cfg
        self.dist = dist
        self.run: RunDir | None = None  # set by fit(); building first means bad inputs leave no folder
        self.reporter = reporter or PlainReporter()
        self.device = dist.device(pick_device(cfg.device))
        dist.init(self.device)
        self.precision = pick_precision(cfg.precision, self.device)
        torch.manual_seed(cfg.seed)
        args = ModelArgs(latent_dim=cfg.latent_dim, image_size=cfg.image_size, channels=cfg.channels,
                         num_classes=data.num_classes, data_dim=data.x.shape[1] if data.kind != "image" else 0,
                         options=dict(cfg.model_options))
        if model.prepare is not None:  # e.g. a tabular model fits its column transforms
            args = model.prepare(args, data)
        self.model_args = args
        self.conditional = model.conditional
        if model.conditional and not data.num_classes:
            raise UserError(f"model {model.name!r} is conditional and needs a labelled dataset; {cfg.data!r} has no labels")
        self.stabilizers = Stabilizers.from_config(cfg)
        modules = model.build(args)
        d_args = discriminator_args(args, model.data_kind, self.stabilizers)
        if d_args is not args:  # packing / minibatch stddev widen D's input: build D for that shape
            if model.conditional and self.stabilizers.pack > 1:
                raise UserError(f"--pack does not combine with conditional model {model.name!r}")
            modules = GanModules(modules.generator, model.build(d_args).discriminator)
        if self.stabilizers.minibatch_std:
            modules = GanModules(modules.generator, WithMinibatchStd(modules.discriminator))
        if self.stabilizers.diffaugment and model.data_kind != "image":
            raise UserError(f"--diffaugment augments images; model {model.name!r} trains on {model.data_kind} data")
        if cfg.sync_bn and dist.enabled:
            if self.device.type != "cuda":
                raise UserError("--sync-bn needs one GPU per process (PyTorch's SyncBatchNorm is GPU-only)")
            sync = torch.nn.SyncBatchNorm.convert_sync_batchnorm
            modules = GanModules(sync(modules.generator), sync(modules.discriminator))
        self.G = modules.generator.to(self.device)
        self.D = modules.discriminator.to(self.device)
        fast_path.configure_backends(self.device)
        self.channels_last = fast_path.use_channels_last(cfg.channels_last, self.device, model.data_kind)
        if self.channels_last:
            fast_path.to_channels_last(self.G, self.D)
        self.opt_g = self._optimizer(self.G, cfg.lr)
        self.opt_d = self._optimizer(self.D, cfg.lr_discriminator)
        self.ema = EMA(self.G, cfg.ema_decay) if cfg.ema else None
        if cfg.compile:  # after the EMA copy, which stays an eager module
            fast_path.compile_modules(self.G, self.D, mode=cfg.compile_mode, backend=cfg.compile_backend)
        self.scaler = self.precision.scaler()
        self.loss = loss.factory({"label_smoothing": cfg.label_smoothing, **cfg.loss_options})
        self.batches = Batches(data, cfg.batch_size, cfg.seed, self.device, dist.shard,
                               channels_last=self.channels_last)
        self.real_points = data.x[:2000] if data.kind == "vector" else None
        self.table = (data.x[:5000], data.columns) if data.kind == "table" else None
        self.modes = (data.modes, data.mode_sigma) if data.modes is not None else None
        # a model whose samples are not G(z) draws its own grids (e.g. inputs beside translations)
        self.preview = model.make_preview(data, cfg.seed) if model.make_preview else None
        ctx = StepContext(self.G, self.D, self.opt_g, self.opt_d, self.loss, args.latent_dim, self.device,
                          self.precision.autocast, self.scaler, cfg.n_critic,
                          on_generator_step=(lambda: self.ema.update(self.G)) if self.ema else (lambda: None),
                          regularizers=Regularizers(cfg.clip_weights, cfg.gp_lambda, cfg.r1_gamma, cfg.r1_every,
                                                    cfg.dragan_lambda),
                          stabilizers=self.stabilizers, conditional=model.conditional, num_classes=data.num_classes,
                          batches=self.batches, shard=dist.shard, generator_ddp=wrap(self.G, dist, self.device),
                          discriminator_ddp=wrap(self.D, dist, self.device))
        self.step_context = ctx
        self.step_fn = model.make_step(ctx) if model.make_step else AdversarialStep(ctx)
        self.periodic_eval = None
        if cfg.eval_every and dist.is_main:
            from gantool.plugins import registry
            from gantool.train.periodic_eval import PeriodicEval

            self.periodic_eval = PeriodicEval(registry(), cfg.eval_metrics, cfg.eval_features, cfg.eval_n, data,
                                              cfg.seed, args.latent_dim, data.num_classes if model.conditional else 0)
        # a fixed latent batch, so successive sample grids show the same "faces" evolving;
        # on mixture data, the PacGAN protocol's 2,500 samples (scatter plot and mode coverage)
        count = MODE_SAMPLES if self.modes is not None else TABLE_SAMPLES if self.table else cfg.sample_count
        self.fixed_z = torch.randn(count, args.latent_dim, generator=torch.Generator().manual_seed(cfg.seed + 1))
        # the RNG stream this trainer continues from; fit() installs it, so whatever ran in the
        # process between construction (or loading a checkpoint) and fit() cannot shift it
        self._rng = self._rng_snapshot()
        self.step = 0
        self.elapsed = 0.0
        self.last_checkpoint: str | None = None
        self._stop: str | None = None
        self._signalled = False  # under --nproc a signal stops every process at the next control exchange
        self.received_signal: int | None = None  # SIGINT or SIGTERM that interrupted fit()
        self._speed: dict[str, Any] = {"img_per_s": None, "eta_s": None}
        self._reset_accumulators()

    def _apply_lr_schedule(self) -> None:
        """Set this step's learning rates. Derived from the step alone (no scheduler state),
        so a resumed run continues the schedule exactly; the horizon is the run's total."""
        factor = max(0.0, 1.0 - self.step / self.total)
        for opt, base in ((self.opt_g, self.cfg.lr), (self.opt_d, self.cfg.lr_discriminator)):
            for group in opt.param_groups:
                group["lr"] = base * factor

    def _optimizer(self, module: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
        fast = {"fused": True} if self.device.type == "cuda" else {"foreach": True}
        if self.cfg.optimizer == "rmsprop":
            return torch.optim.RMSprop(module.parameters(), lr=lr, foreach=True)
        return torch.optim.Adam(module.parameters(), lr=lr, betas=(self.cfg.beta1, self.cfg.beta2), **fast)

    # -- state ---------------------------------------------------------------------------
    def _rng_snapshot(self) -> dict[str, torch.Tensor]:
        rng = {"torch": torch.get_rng_state()}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        return rng

    def _rng_install(self, rng: dict[str, torch.Tensor]) -> None:
        torch.set_rng_state(rng["torch"])
        if "cuda" in rng and self.device.type == "cuda":
            torch.cuda.set_rng_state(rng["cuda"], self.device)

    def state_dict(self) -> dict[str, Any]:
        rng = self._rng_snapshot()
        return {
            "gantool_version": __version__, "torch_version": str(torch.__version__),
            "step": self.step, "elapsed": self.elapsed, "config": self.cfg.to_dict(),
            "model_args": dataclasses.asdict(self.model_args),
            "generator": self.G.state_dict(), "discriminator": self.D.state_dict(),
            "ema": self.ema.model.state_dict() if self.ema else None,
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "scaler": self.scaler.state_dict(), "rng": rng, "batches": self.batches.state_dict(),
            "fixed_z": self.fixed_z,
            "step_state": self.step_fn.state_dict() if hasattr(self.step_fn, "state_dict") else None,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        try:
            self.G.load_state_dict(state["generator"])
            self.D.load_state_dict(state["discriminator"])
            if self.ema and state.get("ema") is not None:
                self.ema.model.load_state_dict(state["ema"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
            if state.get("scaler"):
                self.scaler.load_state_dict(state["scaler"])
            self.batches.load_state_dict(state["batches"])
            if state.get("step_state") is not None and hasattr(self.step_fn, "load_state_dict"):
                self.step_fn.load_state_dict(state["step_state"])
        except (KeyError, RuntimeError, ValueError) as exc:
            raise UserError(f"checkpoint does not fit this model ({str(exc).splitlines()[0][:200]})") from None
        self._rng = dict(state["rng"])
        self.fixed_z = state["fixed_z"]
        self.step = int(state["step"])
        self.elapsed = float(state.get("elapsed", 0.0))

    # -- bookkeeping -----------------------------------------------------------------------
    def _reset_accumulators(self) -> None:
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}
        self._restart_speed_timer()

    def _accumulate(self, out: dict[str, torch.Tensor]) -> None:
        for key, value in out.items():
            prev = self._sums.get(key)
            self._sums[key] = value.float() if prev is None else prev + value.float()
            self._counts[key] = self._counts.get(key, 0) + 1

    def _means(self) -> dict[str, float]:
        """Read the accumulated losses: the one host-device sync per log tick."""
        if not self._sums:
            return {}
        values = self.dist.mean(torch.stack(list(self._sums.values()))).tolist()  # all processes' mean
        means = {k: v / self._counts[k] for k, v in zip(self._sums, values)}
        bad = [k for k, v in means.items() if not math.isfinite(v)]
        if bad:
            raise TrainingDiverged(f"{bad[0]} became {means[bad[0]]} by step {self.step}")
        return means

    @property
    def epoch(self) -> int:
        return self.step // self.batches.steps_per_epoch

    def _due(self, every: int) -> bool:
        """Whether a cadence of `every` steps (0: never) lands on the current step."""
        return bool(every) and self.step % every == 0

    def _status(self, state: str, **extra: Any) -> None:
        """Every status write is a heartbeat."""
        self.run.status(state=state, step=self.step, total_steps=self.total, epoch=self.epoch,
                        model=self.cfg.model, device=str(self.device), precision=self.precision.name,
                        last_checkpoint=self.last_checkpoint, **self._speed, **extra)
        self._last_heartbeat = time.monotonic()

    def _heartbeat(self, state: str) -> None:
        if time.monotonic() - self._last_heartbeat > HEARTBEAT_S:
            self._status(state)

    def _tick(self) -> None:
        now = time.perf_counter()
        seconds = now - self._tick_start
        record = {"step": self.step, "epoch": self.epoch, "time": round(time.time(), 3),
                  "elapsed": round(self.elapsed, 3), **{k: round(v, 6) for k, v in self._means().items()},
                  "img_per_s": round(self._tick_images / seconds, 2) if seconds > 0 else 0.0}
        self.run.metrics(record)
        remaining = (self.total - self.step) * self.cfg.batch_size / record["img_per_s"] if record["img_per_s"] else None
        self._speed = {"img_per_s": record["img_per_s"], "eta_s": round(remaining, 1) if remaining else None}
        self._status("running")
        self.reporter.tick(record)
        self._reset_accumulators()

    def sample(self) -> str:
        """Write samples/step-NNNNNNN.png from the fixed latents (EMA weights when enabled)."""
        if not self.dist.is_main:  # every process holds the same weights; one draws
            return ""
        g = self.ema.model if self.ema else self.G
        path = self.run.samples / f"step-{self.step:07d}.png"
        was_training = g.training
        g.eval()
        try:  # eagerly even when compiled: another batch size would compile a second graph
            with torch.no_grad(), fast_path.eager(self.cfg.compile):
                self._draw(g, path)
        finally:
            g.train(was_training)
        self.run.event("sample", self.step, path=str(path.relative_to(self.run.path)))
        return str(path)

    def _draw(self, g: torch.nn.Module, path) -> None:
        if self.preview is not None:  # the model draws its own grid
            images, columns = self.preview(g, self.device)
            save_grid(images, path, columns)
            return
        z = self.fixed_z.to(self.device)
        if self.conditional:  # the fixed batch cycles through the classes
            labels = torch.arange(len(z), device=self.device) % max(1, self.model_args.num_classes)
            out = g(z, labels).float().cpu().numpy()
        else:
            out = g(z).float().cpu().numpy()
        if self.real_points is not None:
            save_scatter(out, self.real_points, path)
        elif self.table is not None:
            save_table_preview(out, *self.table, path)
        else:
            save_grid(to_uint8(out), path)
        if self.modes is not None:  # a metrics line of its own, at the sample's step
            coverage = mode_coverage(out, *self.modes)
            self.run.metrics({"step": self.step, "epoch": self.epoch, "time": round(time.time(), 3),
                              **coverage.as_metrics()})

    def evaluate(self) -> dict[str, float]:
        """Score the sampling generator (EMA when kept) and log it as a metrics line and event."""
        if not self.dist.is_main:
            return {}
        with fast_path.eager(self.cfg.compile):
            values = self.periodic_eval(self.ema.model if self.ema else self.G, self.device)
        self.run.metrics({"step": self.step, "epoch": self.epoch, "time": round(time.time(), 3), **values})
        self.run.event("eval", self.step, **values)
        return values

    def save_checkpoint(self, periodic: bool) -> None:
        self._means()  # never save weights trained on a NaN: raises TrainingDiverged first
        if not self.dist.is_main:  # the same state on every process; rank 0 keeps it
            return
        path = checkpoint.save(self.state_dict(), self.run.checkpoints, self.step, keep_step_file=periodic)
        self.last_checkpoint = str(path.relative_to(self.run.path))
        self.run.event("checkpoint", self.step, path=self.last_checkpoint)

    # -- control and signals -----------------------------------------------------------------
    def _handle(self, command: str) -> None:
        if command == "stop":
            self._stop = "stopped"
        elif command == "checkpoint":
            self.save_checkpoint(periodic=True)
            self.reporter.message(f"checkpoint saved at step {self.step}")
        elif command == "sample":
            self.reporter.message(f"sample grid: {self.sample()}")
        elif command == "pause":
            self._pause()

    def _pause(self) -> None:
        self.run.event("paused", self.step)
        self._status("paused")
        self.reporter.message(f"paused at step {self.step} (send 'resume' to continue)")
        while self._stop is None:
            commands = self._commands()
            if "resume" in commands:
                break
            for command in commands:
                if command != "pause":  # already paused
                    self._handle(command)
            self._heartbeat("paused")
            time.sleep(0.1)
        self.run.event("resumed", self.step, reason="control")
        self._status("running")
        self._restart_speed_timer()

    def _restart_speed_timer(self) -> None:
        self._tick_images = 0
        self._tick_start = time.perf_counter()

    def _control_due(self) -> bool:
        return self.sync.due(self.step) if self.sync else self.control.due()

    def _commands(self) -> list[str]:
        """New control commands; under --nproc the same ones on every process, and a signal
        seen by any process stops all of them here."""
        if not self.sync:
            return self.control.poll()
        commands, signalled = self.sync.exchange(self.step, self._signalled)
        if signalled and self._stop is None:
            self._stop = "interrupted"
        return commands

    def _poll(self) -> None:
        for command in self._commands():
            self._handle(command)
        self._heartbeat("running")

    @contextmanager
    def _signals(self) -> Iterator[None]:
        """First Ctrl-C or SIGTERM: finish the step, checkpoint, stop. Second Ctrl-C: abort."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def on_signal(signum, frame):
            self.received_signal = signum
            if self.dist.enabled:
                # the launcher forwards the terminal's Ctrl-C, so a process sees it twice;
                # its own timeout (then SIGKILL) is the hard stop
                self._signalled = True
                return
            if self._stop is not None and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self._stop = "interrupted"

        old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for s, handler in old.items():
                signal.signal(s, handler)

    # -- the loop -----------------------------------------------------------------------------
    def fit(self, run: RunDir, total_steps: int, resumed: bool = False) -> str:
        """Train until `total_steps`; returns the final state (finished, stopped, interrupted)."""
        self.run = run
        self.total = total_steps
        self.step_context.total_steps = total_steps
        self.control = ControlFile(self.run.file(CONTROL))
        self.sync = ControlSync(self.dist, self.control.poll) if self.dist.enabled else None
        self.received_signal = None
        self._signalled = False
        cfg = self.cfg
        info = {"device": str(self.device), "precision": self.precision.name, "total_steps": total_steps}
        self.run.event("resumed" if resumed else "started", self.step, **info)
        self._status("running")
        self.reporter.start(total_steps, self.step, f"{cfg.model}/{self.run.path.name}")
        self.G.train()
        self.D.train()
        self._rng_install(self._rng)
        try:
            with self._signals():
                state = self._loop()
        except TrainingDiverged as exc:
            reason = f"training diverged: {exc}; last good checkpoint: {self.last_checkpoint or 'none'}"
            self.run.event("failed", self.step, reason=reason)
            self._status("failed", reason=reason)
            raise TrainingDiverged(reason) from None
        except KeyboardInterrupt:
            reason = "aborted by a second Ctrl-C before a checkpoint was saved"
            self.run.event("interrupted", self.step, reason=reason)
            self._status("interrupted", reason=reason)
            raise
        except BaseException as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self.run.event("failed", self.step, reason=reason)
            self._status("failed", reason=reason)
            raise
        finally:
            self.reporter.close()
        return state

    def _loop(self) -> str:
        cfg, run_start = self.cfg, time.perf_counter()
        self._reset_accumulators()
        while self.step < self.total and self._stop is None:
            if self._control_due():
                self._poll()
                run_start = time.perf_counter()  # time spent paused is not training time
                if self._stop:
                    break
            if cfg.lr_decay:
                self._apply_lr_schedule()
            real, labels = self.batches.next()
            self._accumulate(self.step_fn(self.step, real, labels))
            self.step += 1
            self._tick_images += real.shape[0] * self.dist.world
            self.reporter.advance()
            self.elapsed += time.perf_counter() - run_start
            run_start = time.perf_counter()
            if self.step % cfg.log_every == 0 or self.step == self.total:
                self._tick()
            if self._due(cfg.sample_every):
                self.sample()
            if self._due(cfg.checkpoint_every):
                self.save_checkpoint(periodic=True)
            if self.periodic_eval is not None and self._due(cfg.eval_every):
                self.evaluate()
        if self._counts:
            self._tick()
        if self._stop is None:
            state = "finished"
            if not self._due(cfg.sample_every):
                self.sample()
        else:
            state = self._stop
        if state != "finished" or not self._due(cfg.checkpoint_every):
            self.save_checkpoint(periodic=False)
        reason = {"interrupted": "interrupted by signal", "stopped": "stopped by control command"}.get(state)
        self.run.event(state, self.step, **({"reason": reason} if reason else {}))
        self._status(state, **({"reason": reason} if reason else {}))
        return state
