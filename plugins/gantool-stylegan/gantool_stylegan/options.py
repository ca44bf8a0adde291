"""The models' `--set model.KEY` options and their defaults, torch-free so that registering
the plugin (and `gantool --help`) never imports torch."""

from __future__ import annotations

STYLEGAN2 = {"w_dim": 128, "mapping_layers": 2, "mapping_lr_mul": 0.01, "channel_base": 2048, "channel_max": 64,
             "mbstd_group": 4, "style_mixing": 0.9, "pl_every": 4, "w_avg_beta": 0.995,
             "pl_weight": None}  # pl_weight: 2 from 128 px on, else 0 (StyleGAN2-ADA's CIFAR config has none)

# phase_images: real images per phase (a level's fade-in, then its stable phase);
# batch_sizes: per level from 4 px, comma-separated, each at most the run's batch size ("": the run's)
PROGAN = {"channel_base": 2048, "channel_max": 64, "mbstd_group": 4, "phase_images": 30_000, "batch_sizes": ""}
