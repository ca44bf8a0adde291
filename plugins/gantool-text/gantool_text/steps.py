"""The training steps: MLE, then (gumbel-lstm, seqgan) the adversarial phases, as phases of
the shared loop. Steps compute losses only; the loop applies every update.

Schedules are phases with start/stop, counted in steps: `MLE` (G) until `mle_steps`;
SeqGAN's `D_pre` (D on MLE samples) for `d_steps`; then `G` and `D` every step. Every
random draw comes from torch's global generator, which the checkpoint saves, and the
SeqGAN rollout network is the step's state, so a resume in any phase is exact.
"""

from __future__ import annotations

import copy
from typing import Sequence

import torch
import torch.nn.functional as F

from gantool import Judged, Phase, PhaseLoss, StepContext


class MLEStep:
    """Maximum likelihood only (teacher forcing), every step: the `mle` baseline."""

    unsupported: dict[str, str] = {}

    def __init__(self, ctx: StepContext):
        self.ctx = ctx
        self.g = ctx.generator
        self.phases: Sequence[Phase] = (Phase("MLE", "g"),)

    def begin(self, step: int, real: torch.Tensor, labels: torch.Tensor | None, due: Sequence[Phase]) -> None:
        self.real = real.long()

    def mle(self) -> PhaseLoss:
        nll = self.ctx.train_generator.nll(self.real)
        return PhaseLoss(nll, {"nll_train": nll})

    def loss(self, phase: Phase, step: int) -> PhaseLoss:
        return self.mle()

    def uniforms(self, n: int) -> torch.Tensor:
        return torch.rand(n, self.g.max_len, device=self.ctx.device)


class GumbelStep(MLEStep):
    """RelGAN without relational memory: G's soft one-hots softmax(beta (logits + Gumbel))
    go to D, the next input is the hard token; beta anneals from 1 to beta_max
    exponentially over `anneal_steps` (RelGAN's 'exp'); the run's loss (default ragan)."""

    def __init__(self, ctx: StepContext):
        super().__init__(ctx)
        o = self.g.train_options
        self.start, self.beta_max, self.anneal = o["mle_steps"], o["beta_max"], o["anneal_steps"]
        self.phases = (Phase("MLE", "g", stop=self.start), Phase("D", "d", start=self.start),
                       Phase("G", "g", start=self.start))

    def beta(self, step: int) -> float:
        return self.beta_max ** min(1.0, (step - self.start) / self.anneal)

    def begin(self, step: int, real: torch.Tensor, labels: torch.Tensor | None, due: Sequence[Phase]) -> None:
        super().begin(step, real, labels, due)
        if step < self.start:
            return
        with torch.set_grad_enabled(any(p.net == "g" for p in due)):
            self.fake = soft_sample(self.ctx.train_generator, real.shape[0], self.beta(step))
        self.real_in = self.ctx.view(F.one_hot(self.real, self.g.vocab_size).float(), step)

    def loss(self, phase: Phase, step: int) -> PhaseLoss:
        c = self.ctx
        if phase.name == "MLE":
            return self.mle()
        if phase.net == "d":
            fake_in = c.view(self.fake.detach(), step)
            real_logits, fake_logits = c.train_discriminator(self.real_in), c.train_discriminator(fake_in)
            loss_d = c.loss.d_loss(real_logits, fake_logits)
            return PhaseLoss(loss_d, {"loss_d": loss_d}, judged=[Judged(c.train_discriminator, self.real_in, fake_in)])
        logits = c.discriminator(c.view(self.fake, step))
        real_logits = None
        if c.loss.needs_real_in_g:  # relativistic: D's current view of the reals
            with torch.no_grad():
                real_logits = c.discriminator(self.real_in)
        loss_g = c.loss.g_loss(logits, real_logits)
        return PhaseLoss(loss_g, {"loss_g": loss_g, "beta": torch.tensor(self.beta(step))})


def soft_sample(g, n: int, beta: float) -> torch.Tensor:
    """[n, T, V] soft one-hots: Gumbel-max picks the token fed back, softmax(beta (logits +
    Gumbel noise)) is what D sees; after `<eos>`, exact `<pad>` one-hots."""
    device = g.banned.device
    x_proj, h, c = g.initial(n, g.banned)
    done = torch.zeros(n, 1, dtype=torch.bool, device=device)
    pad = F.one_hot(torch.tensor(max(g.pad_id, 0), device=device), g.vocab_size).float()
    out = []
    for _ in range(g.max_len):
        h, c = g.cell(x_proj, h, c)
        logits = g.head(h)
        noisy = logits - torch.log(-torch.log(torch.rand_like(logits).clamp(1e-10, 1 - 1e-7)))
        token = noisy.argmax(dim=-1)
        soft = torch.softmax(beta * noisy, dim=-1)
        if g.eos_id >= 0:
            soft = torch.where(done, pad, soft)
            token = torch.where(done[:, 0], torch.full_like(token, g.pad_id), token)
            done = done | (token == g.eos_id)[:, None]
        out.append(soft)
        x_proj = g.project(token, h.dtype)
    return torch.stack(out, dim=1)


class SeqGANStep(MLEStep):
    """SeqGAN (Yu et al. 2017): MLE pre-training, D pre-training on G's samples, then
    REINFORCE: the reward of token t is D's mean probability of `real` over `rollouts`
    completions of x[:t+1] by the rollout network (D's own for the last token); the rollout
    network follows G as r <- rate r + (1 - rate) G before each G update. D trains every
    adversarial step, G every `g_every` steps (the paper: 15 D epochs per G batch)."""

    def __init__(self, ctx: StepContext):
        super().__init__(ctx)
        o = self.g.train_options
        self.adv = o["mle_steps"] + o["d_steps"]
        self.rollouts, self.rate = o["rollouts"], o["rollout_rate"]
        self.phases = (Phase("MLE", "g", stop=o["mle_steps"]), Phase("D_pre", "d", start=o["mle_steps"], stop=self.adv),
                       Phase("G", "g", every=o["g_every"], start=self.adv), Phase("D", "d", start=self.adv))
        self.rollout = None  # a copy of G, made at the first adversarial step

    def begin(self, step: int, real: torch.Tensor, labels: torch.Tensor | None, due: Sequence[Phase]) -> None:
        super().begin(step, real, labels, due)
        if not any(p.name in ("D_pre", "G", "D") for p in due):
            return
        with torch.no_grad():
            self.fake = self.g.generate(self.uniforms(real.shape[0]), fast=True)
            if any(p.name == "G" for p in due):
                self.follow_generator()
                self.rewards = self.reward(self.fake)

    def follow_generator(self) -> None:
        if self.rollout is None:
            self.rollout = copy.deepcopy(self.g).requires_grad_(False)
            return
        for r, p in zip(self.rollout.parameters(), self.g.parameters()):
            r.lerp_(p.detach(), 1.0 - self.rate)

    def reward(self, x: torch.Tensor) -> torch.Tensor:
        """[N, T] rewards: Monte-Carlo completions from each prefix, scored by D (no dropout)."""
        d, n, steps = self.ctx.discriminator, x.shape[0], x.shape[1]
        was_training = d.training
        d.eval()
        states = self.rollout.prefix_states(x)
        rewards = []
        for t in range(1, steps):  # the prefix x[:, :t] is given, the rest sampled
            state = tuple(s.repeat(self.rollouts, 1) for s in states[t])
            prefix = x.repeat(self.rollouts, 1)
            done = self.rollout.generate(self.uniforms(n * self.rollouts), prefix, given=t, state=state, fast=True)
            rewards.append(torch.sigmoid(d(done)).view(self.rollouts, n).mean(dim=0))
        rewards.append(torch.sigmoid(d(x)))
        d.train(was_training)
        return torch.stack(rewards, dim=1)

    def loss(self, phase: Phase, step: int) -> PhaseLoss:
        c = self.ctx
        if phase.name == "MLE":
            return self.mle()
        if phase.net == "d":
            real_logits, fake_logits = c.train_discriminator(self.real), c.train_discriminator(self.fake)
            loss_d = c.loss.d_loss(real_logits, fake_logits)
            return PhaseLoss(loss_d, {"loss_d": loss_d})
        logits = c.train_generator.logits(self.fake)
        log_p = -F.cross_entropy(logits.transpose(1, 2), self.fake, reduction="none")
        mask = self.g.scored(self.fake)
        loss_g = -(log_p * self.rewards * mask).sum() / mask.sum()
        return PhaseLoss(loss_g, {"loss_g": loss_g, "reward": (self.rewards * mask).sum() / mask.sum()})

    def state_dict(self) -> dict:
        return {"rollout": None if self.rollout is None else self.rollout.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        if state.get("rollout") is not None:
            self.rollout = copy.deepcopy(self.g).requires_grad_(False)
            self.rollout.load_state_dict(state["rollout"])
