"""The models' `--set model.KEY` options and their defaults, torch-free so that registering
the plugin (and `gantool --help`) never imports torch."""

from __future__ import annotations

STYLEGAN2 = {"w_dim": 128, "mapping_layers": 2, "mapping_lr_mul": 0.01, "channel_base": 2048, "channel_max": 128,
             "mbstd_group": 4, "style_mixing": 0.9, "pl_every": 4, "w_avg_beta": 0.995,
             "pl_weight": None}  # pl_weight: 2 from 128 px on, else 0 (StyleGAN2-ADA's CIFAR config has none)
