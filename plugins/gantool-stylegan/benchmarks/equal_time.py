"""stylegan2 against dcgan (or any gantool models) at equal CPU time: the issue's acceptance
comparison, made fair on a shared machine by counting CPU seconds instead of wall-clock.

Each model trains in this process, one after the other, from its defaults (plus any
`--set MODEL:KEY=VALUE`), with gantool's own training parts (`gantool.train.build`: the
same update, EMA and data the loop uses; no run folder), until the process has spent
`--cpu-minutes` of CPU time on it. Then its sampling generator (the EMA copy when the
model keeps one) draws `-n` images, scored against the dataset's test split:

- MNIST (`--data mnist`): LeNet Frechet distance (`lenet-mnist` features) and the number
  of digits holding at least 5% of the images;
- shapes (`--data shapes`, RGB 32 px): Frechet distance on `shapes-net` features and the
  shape x colour combinations covered (gantool.metrics.shapes_coverage).

    nice -n 10 python benchmarks/equal_time.py --data mnist --cpu-minutes 60 --threads 2
    nice -n 10 python benchmarks/equal_time.py --data shapes --cpu-minutes 60 --threads 2

On an idle 2-core machine `--threads 2 --cpu-minutes 60` is 30 minutes of wall-clock per
model, the issue's setting. On a loaded one, use `--threads 1` (spinning OpenMP threads
waste CPU time when the other is descheduled) and the same CPU budget: the comparison
stays fair, only slower. Results also go to `--out` as JSON.
"""

from __future__ import annotations

import argparse
import ast
import json
import time
from pathlib import Path

import numpy as np
import torch


def parse_sets(pairs: list[str], models: list[str]) -> dict[str, dict]:
    """'stylegan2:model.channel_max=32' -> {'stylegan2': {'model.channel_max': 32}}."""
    out: dict[str, dict] = {m: {} for m in models}
    for pair in pairs:
        model, _, setting = pair.partition(":")
        key, _, text = setting.partition("=")
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text
        out.setdefault(model, {})[key] = value
    return out


def train_for(model: str, data: str, sets: dict, cpu_seconds: float):
    """Train `model` until this process has spent `cpu_seconds` more CPU time; return the
    generator to sample, its config, and what the training cost."""
    from gantool.config import resolve
    from gantool.plugins import registry
    from gantool.train.build import build
    from gantool.train.session import load_data

    reg = registry()
    spec = reg.get("model", model)
    layers = {"data": data, **({"channels": 3} if data.startswith("shapes") else {}), **sets}
    cfg = resolve(model, spec.defaults, lambda name: reg.get("loss", name).defaults, None, {}, layers)
    parts = build(cfg, spec, reg.get("loss", cfg.loss), load_data(reg, cfg))
    parts.G.train()
    parts.D.train()
    start_cpu, start_wall, step = time.process_time(), time.perf_counter(), 0
    while time.process_time() - start_cpu < cpu_seconds:
        x, y = parts.batches.next()
        parts.update(step, x, y)
        step += 1
    cost = {"steps": step, "images": step * cfg.batch_size, "cpu_s": round(time.process_time() - start_cpu, 1),
            "wall_s": round(time.perf_counter() - start_wall, 1)}
    g = parts.ema.model if parts.ema is not None else parts.G
    return g.eval(), cfg, spec.conditional, cost


@torch.no_grad()
def generate(g: torch.nn.Module, latent_dim: int, n: int, num_classes: int, seed: int = 0) -> np.ndarray:
    gen = torch.Generator().manual_seed(seed)
    out = []
    for start in range(0, n, 250):
        z = torch.randn(min(250, n - start), latent_dim, generator=gen)
        labels = (torch.arange(start, start + len(z)) % num_classes) if num_classes else None
        out.append((g(z, labels) if labels is not None else g(z)).float().clamp(-1, 1).numpy())
    return np.concatenate(out)


def score(images: np.ndarray, data: str, reference: np.ndarray) -> dict:
    """Frechet distance against `reference`, and how many modes the images cover."""
    from gantool.metrics.frechet import GaussianStats, frechet_distance

    if data.startswith("shapes"):
        from gantool.metrics.shapes_coverage import ShapesFeatures, coverage_of

        extractor, classes, key = ShapesFeatures(), 24, "shapes_covered"
    else:
        from gantool.metrics.features import LeNetFeatures

        extractor, classes, key = LeNetFeatures(), 10, "digits_5pct"
    fake, real = extractor(images), extractor(reference)
    labels = fake.logits.argmax(1)
    extra = coverage_of(labels).as_metrics() if classes == 24 else {
        key: int((np.bincount(labels, minlength=10) >= 0.05 * len(images)).sum())}
    return {"fd": round(frechet_distance(GaussianStats.of(fake.features), GaussianStats.of(real.features)), 3), **extra}


def reference_images(data: str, n: int) -> np.ndarray:
    from gantool.config import RunConfig
    from gantool.plugins import registry
    from gantool.train.session import load_data

    name = data.split(":")[0]
    cfg = RunConfig(model="dcgan", data=name, image_size=32, channels=3 if name == "shapes" else 1)
    x = load_data(registry(), cfg, split="test").x[:n]
    return x.astype(np.float32) / 127.5 - 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="mnist")
    parser.add_argument("--models", default="stylegan2,dcgan")
    parser.add_argument("--cpu-minutes", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--set", action="append", default=[], dest="sets", help="MODEL:KEY=VALUE")
    parser.add_argument("--out", type=Path, default=Path("equal_time.json"))
    a = parser.parse_args()
    torch.set_num_threads(a.threads)
    models = a.models.split(",")
    sets = parse_sets(a.sets, models)
    reference = reference_images(a.data, a.n)
    rows = []
    for model in models:
        torch.manual_seed(0)
        g, cfg, conditional, cost = train_for(model, a.data, sets[model], a.cpu_minutes * 60)
        images = generate(g, cfg.latent_dim, a.n, 10 if conditional else 0)
        row = {"model": model, **cost, **score(images, a.data, reference), "settings": sets[model]}
        rows.append(row)
        print(json.dumps(row), flush=True)
        a.out.write_text(json.dumps({"data": a.data, "cpu_minutes": a.cpu_minutes, "threads": a.threads, "n": a.n,
                                     "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
