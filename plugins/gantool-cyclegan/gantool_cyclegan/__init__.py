"""gantool-cyclegan: unpaired image-to-image translation (Zhu et al. 2017) as a gantool plugin."""

__version__ = "0.1.0"
PLUGIN = "gantool-cyclegan"  # named in every error this plugin raises
