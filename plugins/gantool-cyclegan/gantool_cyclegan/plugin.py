"""Hook implementations: the cyclegan model, the unpaired and recolored-mnist datasets, and
`gantool translate`."""

from __future__ import annotations

from gantool import DatasetSpec, ModelFlag, ModelSpec, OutputHooks, TrainingHooks, hookimpl, lazy


@hookimpl
def register_models(register):
    register(ModelSpec(
        name="cyclegan",
        summary="CycleGAN: unpaired image-to-image translation (ResNet G, PatchGAN D, LSGAN, cycle + identity loss, pool of 50)",
        build=lazy("gantool_cyclegan.networks", "build"),
        training=TrainingHooks(make_step=lazy("gantool_cyclegan.step", "make_step"),
                               unsupported={"minibatch_std": "its two discriminators sit in one module the wrapper would hide",
                                            "n_critic": "both generators and both discriminators update every step"}),
        outputs=OutputHooks(preview=lazy("gantool_cyclegan.preview", "make_preview"),
                            exports=lazy("gantool_cyclegan.networks", "exports")),
        flags=(ModelFlag("--data-a", "data.a", "domain A: a folder of images or a dataset (default: the demo pair)", "DIR"),
               ModelFlag("--data-b", "data.b", "domain B: a folder of images or a dataset", "DIR")),
        # the paper's Adam 2e-4 / 0.5 and LSGAN; 32 px colour images, batch 8 (the paper
        # trains 256 px with batch 1; small images afford a few per step)
        defaults={"data": "unpaired", "loss": "lsgan", "image_size": 32, "channels": 3, "batch_size": 8,
                  "steps": 3000, "lr": 2e-4, "beta1": 0.5, "beta2": 0.999, "log_every": 20,
                  "sample_every": 250, "checkpoint_every": 1000},
    ))


@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="unpaired", summary="two image domains for cyclegan (--data-a A --data-b B)",
                         load=lazy("gantool_cyclegan.data", "load_unpaired"), arg_help="A,B", options=("a", "b")))
    register(DatasetSpec(name="recolored-mnist",
                         summary="the demo pair: a = even MNIST digits as they are, b = odd digits amber on navy",
                         load=lazy("gantool_cyclegan.data", "load_recolored_mnist"), arg_help="a|b", options=()))


@hookimpl
def register_commands(app):
    from gantool_cyclegan.translate import translate

    app.command("translate")(translate)
