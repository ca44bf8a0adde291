"""Building WaveGAN and SpecGAN from `ModelArgs`, what they record from the data
(`prepare`), their ONNX graphs (`exports`) and SpecGAN's training step.

`prepare` stores the data's sample rate and clip length in `args.options` (and for SpecGAN
the per-bin spectrogram statistics), so checkpoints rebuild the same networks and the
export's metadata says how to play the output, without the data.
"""

from __future__ import annotations

from gantool import AdversarialStep, ExportGraph, ExportInput, GanModules, ModelArgs, UserError
from gantool_audio import PLUGIN

DEFAULT_WIDTH = 8


def prepare_waveform(args: ModelArgs, data) -> ModelArgs:
    samples = int(data.x.shape[-1])
    if data.x.ndim != 3 or data.x.shape[1] != 1:
        raise UserError(f"{PLUGIN}: audio models train on mono waveforms [N, 1, T], got {list(data.x.shape)}")
    if samples % 1024:
        raise UserError(f"{PLUGIN}: clips of {samples} samples: use a multiple of 1024 (data.samples)")
    options = {**args.options, "sample_rate": int(getattr(data, "sample_rate", 16000)), "samples": samples,
               "representation": "waveform"}
    return ModelArgs(args.latent_dim, args.image_size, args.channels, args.num_classes, args.data_dim, options)


def prepare_spectrogram(args: ModelArgs, data) -> ModelArgs:
    from gantool_audio.signal import spectrogram_stats

    args = prepare_waveform(args, data)
    mean, std = spectrogram_stats(data.x)
    options = {**args.options, "representation": "spectrogram", "spectrogram_mean": [round(float(v), 6) for v in mean],
               "spectrogram_std": [round(float(v), 6) for v in std]}
    return ModelArgs(args.latent_dim, args.image_size, args.channels, args.num_classes, args.data_dim, options)


def _samples(args: ModelArgs) -> int:
    if "samples" not in args.options:
        raise UserError(f"{PLUGIN}: the audio models need their clip length from the data (run prepare)")
    return int(args.options["samples"])


def build_wavegan(args: ModelArgs, conditional: bool = False) -> GanModules:
    from gantool_audio.networks import WaveDiscriminator, WaveGenerator

    width = args.int_option("width", DEFAULT_WIDTH)
    shuffle = args.int_option("phase_shuffle", 2, minimum=0)
    samples, classes = _samples(args), args.num_classes if conditional else 0
    return GanModules(WaveGenerator(args.latent_dim, samples, width, classes),
                      WaveDiscriminator(samples, width, classes, shuffle, in_channels=args.data_dim or 1))


def build_specgan(args: ModelArgs, conditional: bool = False) -> GanModules:
    from gantool_audio.networks import SpecDiscriminator, SpecGenerator

    width = args.int_option("width", DEFAULT_WIDTH)
    o, classes = args.options, args.num_classes if conditional else 0
    return GanModules(SpecGenerator(args.latent_dim, _samples(args), o["spectrogram_mean"], o["spectrogram_std"],
                                    width, classes),
                      SpecDiscriminator(width, classes, in_channels=args.data_dim or 1))


def build_cwavegan(args: ModelArgs) -> GanModules:
    return build_wavegan(args, conditional=True)


def build_cspecgan(args: ModelArgs) -> GanModules:
    return build_specgan(args, conditional=True)


def exports(generator, args: ModelArgs) -> dict[str, ExportGraph]:
    """generator.onnx: z [+ labels] -> `audio` [batch, 1, T] (WaveGAN) or `spectrogram`
    [batch, 1, 128, 128] (SpecGAN; gantool sample inverts it with Griffin-Lim in numpy)."""
    inputs = [ExportInput("z", "float32", ("batch", args.latent_dim))]
    if generator.num_classes:
        inputs.append(ExportInput("labels", "int64", ("batch",), example="labels"))
    output = "spectrogram" if args.options.get("representation") == "spectrogram" else "audio"
    return {"": ExportGraph(generator, tuple(inputs), output)}


class SpecStep(AdversarialStep):
    """The default adversarial step on spectrograms: each real batch of waveforms is turned
    into G's representation (on the device) before D sees it."""

    def begin(self, step, real, labels, due) -> None:
        import torch

        with torch.no_grad():
            spectrograms = self.ctx.generator.spectrogram(real)
        super().begin(step, spectrograms, labels, due)
