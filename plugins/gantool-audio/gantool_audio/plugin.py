"""Hook implementations: the `audio` data kind, the spoken-digits and audio-folder datasets,
the wavegan / specgan models (and their conditional twins), the WaveGAN paper's settings as
recipes, and the shipped digit classifier as the `digits-logmel` feature extractor."""

from __future__ import annotations

from gantool import (
    DataKindSpec,
    DatasetSpec,
    FeatureExtractorSpec,
    ModelSpec,
    OutputHooks,
    RecipeSpec,
    TrainingHooks,
    hookimpl,
    lazy,
)

_OPTIONS = ("width",)
_WAVE_OPTIONS = (*_OPTIONS, "phase_shuffle")
# CPU-sized defaults (8 kHz, 8,192 samples, width 8): the hinge loss with one D step per G
# step learns far more per CPU-second than the paper's WGAN-GP with five (the `paper` recipes)
_DEFAULTS = {"data": "spoken-digits", "loss": "hinge", "batch_size": 32, "lr": 1e-4, "beta1": 0.5, "beta2": 0.9,
             "steps": 4000, "latent_dim": 100, "log_every": 20, "sample_every": 200, "sample_count": 128,
             "checkpoint_every": 200}
_AUDIO_D = {"diffaugment": "DiffAugment's transforms are for images"}


def _model(name: str, summary: str, conditional: bool, spectrogram: bool) -> ModelSpec:
    prepare = lazy("gantool_audio.models", "prepare_spectrogram" if spectrogram else "prepare_waveform")
    step = lazy("gantool_audio.models", "SpecStep") if spectrogram else None
    return ModelSpec(name=name, summary=summary, data_kind="audio", conditional=conditional,
                     build=lazy("gantool_audio.models", f"build_{name}"),
                     options=_OPTIONS if spectrogram else _WAVE_OPTIONS, defaults=_DEFAULTS,
                     training=TrainingHooks(prepare=prepare, make_step=step, distributed=spectrogram),
                     outputs=OutputHooks(exports=lazy("gantool_audio.models", "exports")))


@hookimpl
def register_data_kinds(register):
    register(DataKindSpec(
        name="audio", summary="mono waveforms [N, 1, T] in [-1, 1] with a sample rate: WAV samples, waveform and "
        "spectrogram previews, digit-classifier scores",
        preview=lazy("gantool_audio.preview", "AudioPreview"), write=lazy("gantool_audio.kind", "write_audio"),
        suffixes=("", ".png", ".npz"), default_output="samples",
        metrics=("is", "fd", "pr", "accuracy", "nn"),
        evaluate=lazy("gantool_audio.evaluate", "evaluate_audio"),
        onnx_metadata=lazy("gantool_audio.kind", "onnx_metadata"),
    ))


@hookimpl
def register_datasets(register):
    register(DatasetSpec(name="spoken-digits", summary="the ten English digits spoken by espeak-ng voices (offline, "
                         "seeded, cached); held-out voices as the test split (data.sample_rate, data.samples, "
                         "data.clips)", load=lazy("gantool_audio.datasets", "load_spoken_digits"), data_kind="audio",
                         arg_help="SEED", options=("sample_rate", "samples", "clips")))
    register(DatasetSpec(name="audio-folder", summary="WAV files under a folder, the first slice of each, labels from "
                         "subfolders (data.sample_rate, data.samples)",
                         load=lazy("gantool_audio.datasets", "load_audio_folder"), data_kind="audio",
                         arg_help="PATH", options=("sample_rate", "samples")))


@hookimpl
def register_models(register):
    register(_model("wavegan", "WaveGAN: 1-D transposed convolutions (kernel 25, stride 4), D with phase shuffle",
                    False, False))
    register(_model("cwavegan", "WaveGAN conditioned on the class (one-hot into G, projection D)", True, False))
    register(_model("specgan", "SpecGAN: DCGAN on normalised log-magnitude spectrograms, Griffin-Lim to audio",
                    False, True))
    register(_model("cspecgan", "SpecGAN conditioned on the class (one-hot into G, projection D)", True, True))


@hookimpl
def register_feature_extractors(register):
    register(FeatureExtractorSpec(name="digits-logmel", summary="the shipped spoken-digit classifier (log-mel CNN, "
                                  "8 kHz): 128-d features and 10 logits of waveforms [N, 1, T]",
                                  factory=lazy("gantool_audio.scores", "DigitFeatures")))


# Donahue et al. 2019: d = 64, 16 kHz, 16,384 samples, WGAN-GP (lambda 10), five D updates
# per G update, Adam 1e-4 (0.5, 0.9), batch 64; 200k+ G steps on a GPU
_PAPER = {"data": "spoken-digits", "data.sample_rate": 16000, "data.samples": 16384, "model.width": 64,
          "loss": "wgan-gp", "gp_lambda": 10.0, "n_critic": 5, "lr": 1e-4, "beta1": 0.5, "beta2": 0.9,
          "batch_size": 64, "steps": 500_000, "log_every": 100, "sample_every": 5000, "checkpoint_every": 5000}


@hookimpl
def register_recipes(register):
    for model in ("wavegan", "specgan"):
        register(RecipeSpec(name="paper", model=model,
                            summary="the WaveGAN paper's configuration: d=64, 16 kHz, 16,384 samples, WGAN-GP, "
                                    "n_critic 5, Adam 1e-4 (0.5, 0.9), batch 64 (for GPUs)",
                            settings=dict(_PAPER), results="not run here (days of CPU)"))
