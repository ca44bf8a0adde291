"""Does a trained stylegan2 discriminator hold a lack of variety against a batch? The check
behind the README's mode-collapse diagnosis.

Loads a stylegan2 checkpoint (a run's checkpoints/last.pt, or diversity_probe.py --save's)
and prints, for 32 real MNIST test images, the same real image 32 times, 32 fakes (with
fresh noise, the fixed noise, and the noise inputs off) and one fake 32 times: D's
minibatch-std channel (the mean standard deviation over groups, which D sees), D's mean
logit and the pixel spread across the batch. It also prints G's learned noise strengths.

    python benchmarks/variety_judged.py runs/stylegan2/exp/checkpoints/last.pt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch


def mnist_test(n: int) -> torch.Tensor:
    from gantool.config import RunConfig
    from gantool.plugins import registry
    from gantool.train.session import load_data

    x = load_data(registry(), RunConfig(model="stylegan2", data="mnist", image_size=32, channels=1), "test").x[:n]
    return torch.from_numpy(x.astype(np.float32) / 127.5 - 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    a = parser.parse_args()
    torch.set_num_threads(1)
    from gantool import ModelArgs
    from gantool_stylegan.stylegan2 import build

    state = torch.load(a.checkpoint, map_location="cpu", weights_only=True)
    nets = build(ModelArgs(**state["model_args"]))
    g, d = nets.generator, nets.discriminator
    g.load_state_dict(state["generator"])
    d.load_state_dict(state["discriminator"])
    layers = [m for m in g.modules() if hasattr(m, "noise_strength")]
    print("noise strengths:", " ".join(f"{m.noise_strength.item():+.3f}" for m in layers))
    seen: dict[str, float] = {}
    d.mbstd.register_forward_hook(lambda m, i, out: seen.__setitem__("mbstd", out[:, -1, 0, 0].mean().item()))
    real, z = mnist_test(32), torch.randn(32, g.z_dim, generator=torch.Generator().manual_seed(0))

    @torch.no_grad()
    def show(name: str, images: torch.Tensor) -> None:
        logit = d(images).mean().item()
        print(f"{name:22s} mbstd {seen['mbstd']:.4f}  logit {logit:+.3f}  pixel spread {images.std(0).mean():.3f}")

    show("real", real)
    show("one real, 32 times", real[:1].expand(32, -1, -1, -1).contiguous())
    with torch.no_grad():
        fakes = {"fake, fresh noise": g.train()(z), "fake, fixed noise": g.eval()(z)}
        for m in layers:
            m.noise_strength.zero_()
        fakes["fake, no noise"] = g(z)
    for name, images in fakes.items():
        show(name, images)
    show("one fake, 32 times", fakes["fake, no noise"][:1].expand(32, -1, -1, -1).contiguous())


if __name__ == "__main__":
    main()
