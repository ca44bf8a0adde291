"""Learning-rate schedules: functions of the step alone, so resume continues them exactly."""

from __future__ import annotations


def linear_decay(optimizers: dict, lr_g: float, lr_d: float, step: int, total: int) -> None:
    """Set this step's learning rates for `--lr-decay`. Derived from the step alone (no
    scheduler state), so a resumed run continues the schedule exactly; the horizon is the
    run's total."""
    factor = max(0.0, 1.0 - step / total)
    for net, base in (("g", lr_g), ("d", lr_d)):
        for group in optimizers[net].param_groups:
            group["lr"] = base * factor
