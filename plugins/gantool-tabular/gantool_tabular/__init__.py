"""gantool-tabular: a CTGAN-style GAN for tables (Xu et al. 2019), as a gantool plugin."""

__version__ = "0.1.0"
PLUGIN = "gantool-tabular"  # named in every error this plugin raises
