"""Built-in datasets, registered through the same hook as any plugin's."""

from gantool import hookimpl
from gantool.specs import DataKindSpec, DatasetSpec, lazy


@hookimpl
def register_data_kinds(register):
    register(DataKindSpec(
        name="image", summary="images [N, C, H, W] in [-1, 1]: grids, PNG folders, FID/KID/IS/PR",
        preview=lazy("gantool.train.previews", "ImageGrid"), write=lazy("gantool.runtime.outputs", "write_image_samples"),
        suffixes=(".png", ".npz", ".gif", ""), default_output="samples.png", metrics=("fid", "kid", "is", "pr"),
    ))
    register(DataKindSpec(
        name="vector", summary="points [N, D] (2-D toys): scatter plots, mode coverage, CSV",
        preview=lazy("gantool.train.previews", "Scatter"), write=lazy("gantool.runtime.outputs", "write_vector_samples"),
        suffixes=(".png", ".npz", ".csv"), default_output="samples.png",
    ))
    register(DataKindSpec(
        name="table", summary="rows of continuous and discrete columns: histograms, CSV, table scores",
        preview=lazy("gantool.train.previews", "TableHistograms"),
        write=lazy("gantool.runtime.outputs", "write_table_samples"), suffixes=(".csv", ".npz"),
        default_output="samples.csv", evaluate=lazy("gantool.metrics.table_eval", "evaluate_table_generator"),
        onnx_metadata=lazy("gantool.export.graphs", "table_metadata"),
    ))


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
        name="fashion-mnist",
        summary="Fashion-MNIST clothing photos, 28x28 grey, 10 classes (fashion-mnist:test); downloaded once, verified",
        load=lazy("gantool.data.fashion_mnist", "load"),
        options=(),
        arg_help="train|test",
    ))
    register(DatasetSpec(
        name="cifar10",
        summary="CIFAR-10, 32x32 RGB, 10 classes (cifar10:test); the binary archive, downloaded once and verified",
        load=lazy("gantool.data.cifar", "load_cifar10"),
        options=(),
        arg_help="train|test",
    ))
    register(DatasetSpec(
        name="cifar100",
        summary="CIFAR-100, 32x32 RGB, 100 fine classes (cifar100:test); the binary archive, downloaded once, verified",
        load=lazy("gantool.data.cifar", "load_cifar100"),
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
        name="shapes",
        summary="coloured shapes, RGB (needs channels = 3): 4 shapes x 6 colours as labels, any size; drawn from a seed",
        load=lazy("gantool.data.shapes", "load"),
        options=("count",),
        arg_help="train|test",
    ))
    register(DatasetSpec(
        name="folder",
        summary="images under a folder, recursive; subfolders (or a dataset.json) become class labels; "
                "decoded once in parallel and cached (--set data.workers=N, data.cache=false, data.memory_gb=G)",
        load=lazy("gantool.data.folder", "load"),
        options=("workers", "cache", "memory_gb"),
        arg_help="PATH",
    ))
    register(DatasetSpec(
        name="zip",
        summary="a StyleGAN2-ADA dataset zip (images + optional dataset.json labels); decoded once and cached",
        load=lazy("gantool.data.archive", "load"),
        options=("workers", "cache", "memory_gb"),
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
