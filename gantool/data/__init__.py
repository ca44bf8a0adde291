"""Built-in datasets, registered through the same hook as any plugin's."""

from gantool import hookimpl
from gantool.specs import DatasetSpec, lazy


@hookimpl
def register_datasets(register):
    # options=(): none of them reads a --set data.KEY option, so any is a mistake
    register(DatasetSpec(
        name="mnist",
        summary="MNIST digits, 28x28 grey (mnist:test for the test split); downloaded once and verified",
        load=lazy("gantool.data.mnist", "load"),
        options=(),
        arg_help="train|test",
    ))
    register(DatasetSpec(
        name="stacked-mnist",
        summary="three MNIST digits as R, G, B: 1000 modes for measuring mode collapse (needs channels = 3)",
        load=lazy("gantool.data.stacked_mnist", "load"),
        options=(),
        arg_help="train|test",
    ))
    register(DatasetSpec(
        name="folder",
        summary="images under a folder, recursive; subfolders become class labels",
        load=lazy("gantool.data.folder", "load"),
        options=(),
        arg_help="PATH",
    ))
    register(DatasetSpec(
        name="npz",
        summary="an image array in an .npz (NCHW or NHWC, uint8 or float) with optional labels",
        load=lazy("gantool.data.npz", "load"),
        options=(),
        arg_help="PATH",
    ))
    register(DatasetSpec(
        name="ring",
        summary="8 Gaussians on a circle of radius 1, sigma 0.01 (PacGAN protocol)",
        load=lazy("gantool.data.toy2d", "load_ring"),
        options=(),
        data_kind="vector",
    ))
    register(DatasetSpec(
        name="grid",
        summary="25 Gaussians at {-4,-2,0,2,4}^2, sigma 0.05 (PacGAN protocol)",
        load=lazy("gantool.data.toy2d", "load_grid"),
        options=(),
        data_kind="vector",
    ))
