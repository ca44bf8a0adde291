"""Built-in adversarial losses, registered through the same hook as any plugin's."""

from gantool import hookimpl
from gantool.specs import LossSpec, lazy


@hookimpl
def register_losses(register):
    register(LossSpec(
        name="bce",
        summary="binary cross-entropy on logits; non-saturating G loss (loss.minimax=true for the original)",
        factory=lazy("gantool.losses.bce", "BCELoss"),
    ))
    register(LossSpec(
        name="lsgan",
        summary="least squares (Mao et al. 2017)",
        factory=lazy("gantool.losses.lsgan", "LSGANLoss"),
    ))
    register(LossSpec(
        name="hinge",
        summary="hinge loss, as in SNGAN and BigGAN",
        factory=lazy("gantool.losses.hinge", "HingeLoss"),
    ))
    register(LossSpec(
        name="ragan",
        summary="relativistic average BCE (Jolicoeur-Martineau 2018): D and G compare real with the average fake",
        factory=lazy("gantool.losses.ragan", "RaGANLoss"),
    ))
    register(LossSpec(
        name="wgan",
        summary="Wasserstein critic with weight clipping (RMSprop 5e-5, clip 0.01, n_critic 5)",
        factory=lazy("gantool.losses.wasserstein", "WassersteinLoss"),
        defaults={"optimizer": "rmsprop", "lr": 5e-5, "clip_weights": 0.01, "n_critic": 5},
    ))
    register(LossSpec(
        name="wgan-gp",
        summary="Wasserstein critic with gradient penalty (lambda 10, n_critic 5, Adam 1e-4, betas 0, 0.9)",
        factory=lazy("gantool.losses.wasserstein", "WassersteinLoss"),
        defaults={"optimizer": "adam", "lr": 1e-4, "beta1": 0.0, "beta2": 0.9, "gp_lambda": 10.0, "n_critic": 5},
    ))
    register(LossSpec(
        name="r1",
        summary="non-saturating BCE with a lazy R1 penalty (gamma 10, every 16 steps)",
        factory=lazy("gantool.losses.bce", "BCELoss"),
        defaults={"r1_gamma": 10.0, "r1_every": 16},
    ))
    register(LossSpec(
        name="dragan",
        summary="non-saturating BCE with the DRAGAN gradient penalty (lambda 10)",
        factory=lazy("gantool.losses.bce", "BCELoss"),
        defaults={"dragan_lambda": 10.0},
    ))
