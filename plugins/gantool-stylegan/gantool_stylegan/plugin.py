"""Hook implementations: the stylegan2 and progan models."""

from __future__ import annotations

from gantool import ModelSpec, OutputHooks, TrainingHooks, hookimpl, lazy
from gantool_stylegan.options import STYLEGAN2

# StyleGAN2-ADA's small-image settings: Adam 0.0025 with betas (0, 0.99), lazy R1 every 16
# steps, an EMA generator; gamma 0.05 suits 32 px at batch 32 (ADA's rule 0.0002 res^2 / batch
# gives 0.0064; a little more keeps a short run steady)
STYLEGAN2_DEFAULTS = {"data": "mnist", "image_size": 32, "latent_dim": 128, "batch_size": 32, "lr": 0.0025,
                      "beta1": 0.0, "beta2": 0.99, "r1_gamma": 0.05, "r1_every": 16, "ema": True,
                      "ema_decay": 0.999, "steps": 20000, "log_every": 50, "sample_every": 500,
                      "checkpoint_every": 2000}


@hookimpl
def register_models(register):
    register(ModelSpec(
        name="stylegan2",
        summary="StyleGAN2: mapping + modulated synthesis (skip toRGB, noise), residual D, lazy R1, "
                "style mixing, truncation (image_size 8..256, powers of two)",
        build=lazy("gantool_stylegan.stylegan2", "build"),
        options=tuple(STYLEGAN2),
        training=TrainingHooks(make_step=lazy("gantool_stylegan.step", "make_step"),
                               unsupported={"minibatch_std": "its residual D has a minibatch-std layer of its own",
                                            "pack": "its D judges one image at a time (it has minibatch std)",
                                            "n_critic": "D and G update every step, as in StyleGAN2"}),
        outputs=OutputHooks(exports=lazy("gantool_stylegan.exports", "exports")),
        defaults=STYLEGAN2_DEFAULTS,
    ))
