"""Built-in architectures, registered through the same hook as any plugin's."""

from gantool import hookimpl
from gantool.specs import ModelSpec, RecipeSpec, TrainingHooks, lazy

_ADAM_DCGAN = {"optimizer": "adam", "lr": 2e-4, "beta1": 0.5, "beta2": 0.999}
# the `--set model.KEY` options each family's build reads
DCGAN_OPTIONS = ("ngf", "ndf", "batchnorm_d")
CONDITIONAL_OPTIONS = ("ngf", "ndf", "embed_dim", "batchnorm_d", "class_norm")
CGAN_OPTIONS = (*CONDITIONAL_OPTIONS, "label_planes")
ACGAN_OPTIONS = (*CONDITIONAL_OPTIONS, "projection", "twin")


@hookimpl
def register_models(register):
    register(ModelSpec(
        name="gan",
        summary="the original MLP GAN (Goodfellow et al. 2014), as in the seed tutorials",
        build=lazy("gantool.models.mlp", "build"),
        options=("dropout",),
        defaults={"data": "mnist", "loss": "bce", "batch_size": 64, "epochs": 20, "latent_dim": 100,
                  "image_size": 28, "channels": 1, "log_every": 100, "sample_every": 1000, **_ADAM_DCGAN},
    ))
    register(ModelSpec(
        name="dcgan",
        summary="DCGAN (Radford et al. 2015) for 28, 32 or 64 px, 1 or 3 channels",
        build=lazy("gantool.models.dcgan", "build"), options=DCGAN_OPTIONS,
        # batch 32: on MNIST one epoch (1875 steps) already draws recognizable digits
        defaults={"data": "mnist", "loss": "bce", "batch_size": 32, "epochs": 5, "latent_dim": 100,
                  "image_size": 28, "channels": 1, "log_every": 100, "sample_every": 500, **_ADAM_DCGAN},
    ))
    critic = {"data": "mnist", "batch_size": 64, "epochs": 5, "latent_dim": 100, "image_size": 28, "channels": 1,
              "log_every": 100, "sample_every": 500, "model_options": {"batchnorm_d": False}}
    register(ModelSpec(
        name="wgan",
        summary="DCGAN generator with a BatchNorm-free critic, Wasserstein loss with weight clipping",
        build=lazy("gantool.models.dcgan", "build"), options=DCGAN_OPTIONS,
        # clipped critics learn slowly at RMSprop 5e-5: at 20 epochs (3,748 G steps) the MNIST
        # grid is strokes with a few digits, at 40 (about 19 min on a 2-core CPU) it reads as
        # digits; LeNet-FID on 5,000 samples fell from 227 to 158
        defaults={**critic, "loss": "wgan", "epochs": 40},
    ))
    register(ModelSpec(
        name="wgan-gp",
        summary="DCGAN generator with a BatchNorm-free critic, Wasserstein loss with gradient penalty",
        build=lazy("gantool.models.dcgan", "build"), options=DCGAN_OPTIONS,
        # 5 epochs are 937 critic-paced G steps: blobs; by 20 epochs (16.6 min on a 2-core CPU)
        # the grid reads as digits
        defaults={**critic, "loss": "wgan-gp", "epochs": 20},
    ))
    conditional = {"data": "mnist", "loss": "bce", "batch_size": 32, "epochs": 5, "latent_dim": 100, "image_size": 28,
                   "channels": 1, "log_every": 100, "sample_every": 500, **_ADAM_DCGAN}
    register(ModelSpec(
        name="cgan",
        summary="class-conditional DCGAN: class-conditional BatchNorm in G; D sees the label as input planes and by projection",
        build=lazy("gantool.models.conditional", "build_cgan"), options=CGAN_OPTIONS,
        conditional=True,
        # the label paths that made it draw the asked digit (docs/benchmarks.md): with the label
        # only projected, D never tied it to the digit and G drew a consistent but wrong one
        defaults={**conditional, "model_options": {"class_norm": True, "label_planes": True}},
    ))
    register(ModelSpec(
        name="acgan",
        summary="ACGAN: label embedding in G, D with an auxiliary classifier head",
        build=lazy("gantool.models.acgan", "build"), options=ACGAN_OPTIONS,
        training=TrainingHooks(make_step=lazy("gantool.models.acgan", "make_step"), distributed=True,
                               unsupported={"minibatch_std": "its discriminator's classifier head would be hidden by the wrapper"}),
        conditional=True,
        defaults=conditional,
    ))
    register(ModelSpec(
        name="sngan",
        summary="SNGAN: spectral-norm ResNet pair for 32 px, hinge loss (Miyato et al. 2018)",
        build=lazy("gantool.models.sngan", "build"), options=("ch_g", "ch_d"),
        # the paper's CIFAR-10 setting: Adam 2e-4, betas (0, 0.9), 5 D steps per G step
        defaults={"data": "mnist", "loss": "hinge", "batch_size": 64, "epochs": 5, "latent_dim": 128, "image_size": 32,
                  "channels": 1, "optimizer": "adam", "lr": 2e-4, "beta1": 0.0, "beta2": 0.9, "n_critic": 5,
                  "log_every": 100, "sample_every": 500},
    ))
    register(ModelSpec(
        name="toy",
        summary="MLP pair for 2-D data (ring, grid); model.arch=pacgan for the PacGAN paper's networks",
        build=lazy("gantool.models.toy", "build"), options=("arch", "hidden"),
        data_kind="vector",
        # the settings benchmarks/toy_modes.py measured: batch 504 divides by every pack size
        defaults={"data": "ring", "loss": "bce", "batch_size": 504, "steps": 5000, "latent_dim": 2,
                  "lr": 5e-4, "beta1": 0.5, "beta2": 0.999, "log_every": 100, "sample_every": 1000,
                  "checkpoint_every": 5000, "sample_count": 1024},
    ))


@hookimpl
def register_recipes(register):
    register(RecipeSpec(
        name="r1-ema", model="toy",
        summary="BCE + R1 every step (gamma 0.01), EMA 0.99, lr 1e-3, 128 units, 10,000 steps on the 25-mode grid",
        settings={"data": "grid", "loss": "r1", "r1_gamma": 0.01, "r1_every": 1, "ema": True, "ema_decay": 0.99,
                  "lr": 1e-3, "steps": 10000, "model.hidden": 128},
        results="grid: 25/25 modes on 5/5 seeds, 95.6 % high quality (benchmarks/toy_modes.py; docs/benchmarks.md)",
    ))
