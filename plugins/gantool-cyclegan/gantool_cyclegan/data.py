"""The two domains as one gantool dataset, and the offline demo pair.

`unpaired` loads domain A and domain B (each a folder of images or any gantool image
dataset, such as `mnist` or `folder:PATH`) at the model's size and channels and stacks them,
labelled 0 (A) and 1 (B); the training step draws from each on its own, so the domains
need not be the same size. Given neither domain, it loads the demo pair.

`recolored-mnist:a` is MNIST's even-numbered training digits as they are (white on black,
as RGB); `recolored-mnist:b` is the odd-numbered ones recoloured, amber strokes on navy.
No digit is in both, so the pair is unpaired in fact, not only in how it is drawn.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from gantool import DataArrays, DataRequest, UserError
from gantool_cyclegan import PLUGIN

DEMO = ("recolored-mnist:a", "recolored-mnist:b")
STROKE, BACKGROUND = np.array([255, 176, 32]), np.array([24, 40, 112])  # amber on navy


def _registry():
    from gantool import registry

    return registry()


def load_domain(letter: str, source: str, request: DataRequest) -> DataArrays:
    """A folder path, or a gantool dataset NAME[:ARG]; errors say which domain failed."""
    reg = _registry()
    text = source
    if reg.split(source)[0] not in reg.names("dataset"):
        if not Path(source).expanduser().is_dir():
            raise UserError(f"{PLUGIN}: domain {letter}: {source!r} is neither a folder nor a dataset name")
        text = f"folder:{source}"
    try:  # the domain's own options are not unpaired's (a, b), so none are passed on
        data = reg.open_dataset(text, replace(request, options={}), kind="image",
                                mismatch="dataset {name!r} holds {kind} data, not images")
    except UserError as exc:
        raise UserError(f"{PLUGIN}: domain {letter}: {exc}") from None
    if len(data.x) == 0:
        raise UserError(f"{PLUGIN}: domain {letter}: {source} holds no images")
    return data


def load_unpaired(arg: str | None, request: DataRequest) -> DataArrays:
    a, b = request.options.get("a"), request.options.get("b")
    if arg:  # unpaired:A,B
        a, _, b = arg.partition(",")
    if not a and not b:
        a, b = DEMO
    if not a or not b:
        raise UserError(f"{PLUGIN}: name both domains: gantool train cyclegan --data-a A --data-b B "
                        f"(folders of images or datasets such as mnist)")
    domain_a, domain_b = load_domain("A", str(a), request), load_domain("B", str(b), request)
    x = np.concatenate([domain_a.x, domain_b.x])
    labels = np.repeat(np.array([0, 1], dtype=np.int64), [len(domain_a.x), len(domain_b.x)])
    return DataArrays(x=x, kind="image", labels=labels, num_classes=2,
                      description=f"unpaired: A = {domain_a.description}; B = {domain_b.description}",
                      skipped=domain_a.skipped + domain_b.skipped)


def recolor(gray: np.ndarray) -> np.ndarray:
    """uint8 [N, 1, H, W] white-on-black -> uint8 [N, 3, H, W] amber-on-navy."""
    alpha = gray.astype(np.float32) / 255.0
    rgb = BACKGROUND[None, :, None, None] + (STROKE - BACKGROUND)[None, :, None, None] * alpha
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def load_recolored_mnist(arg: str | None, request: DataRequest) -> DataArrays:
    from gantool import fit_array, registry

    half = arg or "b"
    if half not in ("a", "b"):
        raise UserError(f"{PLUGIN}: recolored-mnist has halves a (as is) and b (recoloured), not {half!r}")
    if request.channels != 3:
        raise UserError(f"{PLUGIN}: recolored-mnist is in colour; train with --set channels=3")
    digits = registry().get("dataset", "mnist").load("train", replace(request, channels=1, options={}))
    keep = slice(0, None, 2) if half == "a" else slice(1, None, 2)
    gray = digits.x[keep]
    x = fit_array(gray, request.image_size, 3) if half == "a" else recolor(gray)
    what = "as is" if half == "a" else "recoloured amber on navy"
    return DataArrays(x=np.ascontiguousarray(x), kind="image", labels=digits.labels[keep], num_classes=10,
                      description=f"MNIST train, {'even' if half == 'a' else 'odd'} digits, {what} ({len(x)} images)")
