"""Hook implementations: the stylegan2 and progan models, and ProGAN's loss (wgan-gp-drift)."""

from __future__ import annotations

from gantool import LossSpec, ModelSpec, OutputHooks, TrainingHooks, hookimpl, lazy
from gantool_stylegan.options import PROGAN, STYLEGAN2

# StyleGAN2-ADA's small-image settings: Adam 0.0025 with betas (0, 0.99), lazy R1 every 16
# steps, an EMA generator of half-life 10k images (0.998 at batch 32; gantool's EMA has no
# ramp-up yet, so early grids lag more than ADA's); gamma 0.05 suits 32 px at batch 32 (ADA's
# rule 0.0002 res^2 / batch gives 0.0064; a little more keeps a short run steady)
STYLEGAN2_DEFAULTS = {"data": "mnist", "image_size": 32, "latent_dim": 128, "batch_size": 32, "lr": 0.0025,
                      "beta1": 0.0, "beta2": 0.99, "r1_gamma": 0.05, "r1_every": 16, "ema": True,
                      "ema_decay": 0.998, "ema_rampup": 0.05, "steps": 20000, "log_every": 50, "sample_every": 500,
                      "checkpoint_every": 2000}
# ProGAN's Adam 0.001 with betas (0, 0.99), WGAN-GP with drift, n_critic 1, EMA of G; 30k
# images per phase reach 32 px after 210k images (6,600 steps of 32), then 2,000 steps there
PROGAN_DEFAULTS = {"data": "mnist", "image_size": 32, "latent_dim": 128, "batch_size": 32, "loss": "wgan-gp-drift",
                   "ema": True, "ema_decay": 0.999, "steps": 8600, "log_every": 50, "sample_every": 500,
                   "checkpoint_every": 2000}
STYLEGAN2_TRAINING = TrainingHooks(
    make_step=lazy("gantool_stylegan.step", "make_step"),
    unsupported={"minibatch_std": "its residual D has a minibatch-std layer of its own",
                 "pack": "its D judges one image at a time (it has minibatch std)",
                 "n_critic": "D and G update every step, as in StyleGAN2"})


@hookimpl
def register_models(register):
    register(ModelSpec(
        name="stylegan2",
        summary="StyleGAN2: mapping + modulated synthesis (skip toRGB, noise), residual D, lazy R1, "
                "style mixing, truncation (image_size 8..256, powers of two)",
        build=lazy("gantool_stylegan.stylegan2", "build"),
        options=tuple(STYLEGAN2),
        training=STYLEGAN2_TRAINING,
        outputs=OutputHooks(exports=lazy("gantool_stylegan.exports", "exports")),
        defaults=STYLEGAN2_DEFAULTS,
    ))
    register(ModelSpec(
        name="stylegan2-cond",
        summary="stylegan2 with class conditioning: class embedding into the mapping, projection in D",
        build=lazy("gantool_stylegan.stylegan2", "build_conditional"),
        conditional=True,
        options=tuple(STYLEGAN2),
        training=STYLEGAN2_TRAINING,
        outputs=OutputHooks(exports=lazy("gantool_stylegan.exports", "exports")),
        defaults=STYLEGAN2_DEFAULTS,
    ))
    register(ModelSpec(
        name="progan",
        summary="ProGAN: progressive growing from 4x4 with fade-in, pixel norm, minibatch std, WGAN-GP + drift",
        build=lazy("gantool_stylegan.progan", "build"),
        options=tuple(PROGAN),
        training=TrainingHooks(make_step=lazy("gantool_stylegan.progan_step", "make_step"),
                               unsupported={"minibatch_std": "its D has a minibatch-std layer of its own",
                                            "pack": "its D judges one image at a time (it has minibatch std)"}),
        outputs=OutputHooks(exports=lazy("gantool_stylegan.progan_step", "exports")),
        defaults=PROGAN_DEFAULTS,
    ))


@hookimpl
def register_losses(register):
    register(LossSpec(
        name="wgan-gp-drift",
        summary="WGAN-GP plus ProGAN's drift term 0.001 E[D(x)^2] (Adam 1e-3, betas 0, 0.99, n_critic 1, lambda 10)",
        factory=lazy("gantool_stylegan.losses", "WassersteinDrift"),
        defaults={"optimizer": "adam", "lr": 1e-3, "beta1": 0.0, "beta2": 0.99, "gp_lambda": 10.0, "n_critic": 1},
    ))
