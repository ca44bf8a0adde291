"""gantool-stylegan: StyleGAN2 (Karras et al. 2020) and progressive growing (ProGAN, Karras
et al. 2018) as a gantool plugin, in plain PyTorch (no custom CUDA ops) so they train and
export to ONNX everywhere."""

__version__ = "0.1.0"
PLUGIN = "gantool-stylegan"  # named in every error this plugin raises
