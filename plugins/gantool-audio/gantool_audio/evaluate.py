"""`gantool eval` for an audio generator (the `audio` kind's `evaluate`), torch-free.

`-n` clips are generated with ONNX Runtime from seeded latents (SpecGAN's spectrograms
turned into audio by Griffin-Lim in numpy, as `gantool sample` does) and scored with the
shipped digit classifier (`digits-logmel`):
- `is`: digit inception score over 10 splits (10 is the most for ten digits);
- `fd`: Frechet distance of classifier features to `n` training clips;
- `precision` / `recall` (k = 3) against the same training clips;
- `accuracy`: for a conditional G, the share of clips classified as the label they were asked for;
- `nn_ratio` / `near_copies`: the nearest-neighbour check against the training clips.
The same scores of the real held-out voices (the test split) are reported as `real_*`: the
ceiling a generator is measured against (`real_accuracy` is the classifier's own accuracy).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from gantool import DataRequest, EvalResult, UserError, write_result
from gantool_audio import PLUGIN
from gantool_audio.kind import as_waveforms, rate_of
from gantool_audio.scores import DigitFeatures, frechet_distance, inception_score, nearest_neighbours, precision_recall

GROUPS = {"is": ("is", "is_std"), "fd": ("fd",), "pr": ("precision", "recall"),
          "accuracy": ("accuracy",), "nn": ("nn_ratio", "near_copies")}


def _chosen(settings) -> set[str]:
    if not settings.chosen:
        return set(GROUPS)
    unknown = [m for m in settings.chosen if m not in GROUPS]
    if unknown:
        raise UserError(f"{PLUGIN}: audio generators are scored by {', '.join(sorted(GROUPS))}; not {', '.join(unknown)}")
    return set(settings.chosen)


def _reference(registry, name: str, split: str, options: dict, n: int, seed: int):
    data = registry.open_dataset(name, DataRequest(split=split, options=options), kind="audio",
                                 mismatch="dataset {name!r} is {kind} data; an audio generator is scored against audio")
    if n < len(data.x):
        keep = np.sort(np.random.default_rng(seed).choice(len(data.x), n, replace=False))
        return data.x[keep], (data.labels[keep] if data.labels is not None else None), data
    return data.x, data.labels, data


def _scores(fake, real_feats, held_out_feats, chosen: set[str], labels=None) -> dict[str, float]:
    values: dict[str, float] = {}
    if "is" in chosen:
        values["is"], values["is_std"] = inception_score(fake.logits)
    if "fd" in chosen:
        values["fd"] = frechet_distance(fake.features, real_feats)
    if "pr" in chosen:
        values["precision"], values["recall"] = precision_recall(real_feats, fake.features)
    if "accuracy" in chosen and labels is not None:
        values["accuracy"] = float((fake.logits.argmax(axis=1) == labels).mean())
    if "nn" in chosen and held_out_feats is not None:
        values.update(nearest_neighbours(fake.features, real_feats, held_out_feats))
    return values


def evaluate_audio(registry, sampler, out_dir: Path, settings, *, data: str | None = None,
                   progress=None) -> EvalResult:
    start = time.perf_counter()
    chosen = _chosen(settings)
    if settings.features not in ("auto", "digits-logmel"):
        raise UserError(f"{PLUGIN}: audio is scored with the digits-logmel classifier, not --features {settings.features}")
    md = sampler.info.metadata
    rate = rate_of(md, sampler.path)
    reference = data or md.get("dataset")
    if not reference:
        raise UserError(f"{PLUGIN}: {sampler.path} does not name its dataset; pass --data")
    options = json.loads(md.get("data_options") or "{}")
    extractor = DigitFeatures()
    n = settings.n
    train_x, _, train = _reference(registry, reference, "train", options, n, settings.seed)
    test_x, test_labels, _ = _reference(registry, reference, "test", options, n, settings.seed)
    if train.sample_rate != rate:
        raise UserError(f"{PLUGIN}: {reference} is at {train.sample_rate} Hz, the generator at {rate} Hz")
    labels = sampler.check_labels(None, n)  # a conditional G: the classes in turn
    out = sampler.sample(n, seed=settings.seed, labels=labels, batch_size=settings.batch_size)
    fake = extractor(as_waveforms(out, md), sample_rate=rate)
    train_feats = extractor(train_x, sample_rate=rate).features
    test = extractor(test_x, sample_rate=rate)
    values = _scores(fake, train_feats, test.features, chosen, labels)
    ceiling = _scores(test, train_feats, None, chosen - {"nn"}, test_labels)
    values.update({f"real_{k}": v for k, v in ceiling.items()})
    notes = [] if labels is not None else ["accuracy needs a conditional generator: skipped"] * ("accuracy" in chosen)
    protocol = {"reference": f"{reference} (train split, {len(train_x)} clips)", "data_options": options,
                "ceiling": f"{reference} test split (held-out voices, {len(test_x)} clips)", "n": n,
                "seed": settings.seed, **extractor.protocol, "sample_rate": rate,
                "representation": md.get("audio_representation", "waveform"),
                "griffin_lim": "32 iterations, fast (momentum 0.99), seeded phases"
                if md.get("audio_representation") == "spectrogram" else None,
                "is_splits": 10, "pr_k": 3, "generator": str(sampler.path), "model": md.get("model"),
                "training_step": md.get("training_step"), "provider": sampler.provider}
    result = EvalResult(values, protocol, time.perf_counter() - start, notes, kind="audio")
    result.path = write_result(result, out_dir)
    return result
