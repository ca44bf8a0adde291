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
