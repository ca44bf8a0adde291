"""A study: its items in their seeded order, their hash, the manifest and the answer key.

- `hype`: one image an item, real or generated (half each; the generated half split among
  the generators), answered `real` or `fake`. Attention checks are images of uniform
  random noise whose answer is `fake`.
- `2afc`: two generators' images side by side, answered `left` or `right` (which looks more
  real); pairs cycle through every pair of generators, sides drawn at random. Attention
  checks put noise beside a real image; the answer is the real image's side.

The study's hash covers the protocol, the exposure time, every item's pictures in order
and the key's digest: answers carry it, so they cannot be mixed between studies. The key
never goes into index.html; it lives in key.json beside the manifest.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import itertools
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gantool import __version__
from gantool.core.errors import UserError
from gantool.core.fsutil import FILE_MODE

PROTOCOLS = ("hype", "2afc")
STUDY_FORMAT = "gantool-rate-study/1"
INDEX, MANIFEST, KEY = "index.html", "manifest.json", "key.json"
#: each protocol's two answers: (value, key on the keyboard, button label)
CHOICES = {"hype": [("fake", "f", "Fake"), ("real", "j", "Real")],
           "2afc": [("left", "f", "Left"), ("right", "j", "Right")]}


@dataclass(frozen=True)
class StudySettings:
    protocol: str = "hype"
    n: int = 100  # test items (hype: images, 2afc: pairs), attention checks not counted
    seed: int = 0
    attention: int | None = None  # attention checks; None: n // 20, at least 1
    exposure_ms: int = 0  # 0: the image stays until answered

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise UserError(f"--protocol must be one of {', '.join(PROTOCOLS)}, not {self.protocol!r}")
        if self.n < 2:
            raise UserError(f"-n must be at least 2, got {self.n}")
        if self.attention is not None and self.attention < 0:
            raise UserError(f"--attention must be 0 or more, got {self.attention}")
        if self.exposure_ms < 0:
            raise UserError(f"--exposure-ms must be 0 (no limit) or more, got {self.exposure_ms}")

    @property
    def checks(self) -> int:
        return max(1, self.n // 20) if self.attention is None else self.attention


@dataclass
class Item:
    """One screen of the study: its pictures (uint8 HWC) and what the key says about it."""

    images: list[np.ndarray]
    key: dict[str, Any]


@dataclass
class Study:
    manifest: dict[str, Any]
    key: dict[str, dict[str, Any]]  # item id -> truth
    pages: list[dict[str, Any]] = field(default_factory=list)  # [{id, images: [PNG bytes]}], for the page

    @property
    def hash(self) -> str:
        return self.manifest["study"]

    @property
    def protocol(self) -> str:
        return self.manifest["protocol"]


def hype_items(generators, real: tuple[np.ndarray, np.ndarray | None], noise: np.ndarray,
               settings: StudySettings) -> list[Item]:
    """Half real, half generated (split evenly among the generators), plus the attention checks."""
    real_images, real_labels = real
    n_real = settings.n // 2
    items = [Item([img], {"truth": "real", "model": None, "class": _label(real_labels, i), "attention": False})
             for i, img in enumerate(real_images[:n_real])]
    counts = [len(part) for part in np.array_split(np.arange(settings.n - n_real), len(generators))]
    for g, count in zip(generators, counts):
        labels = _labels_for(g, count, settings.seed)
        images = g.images(count, settings.seed, labels) if count else []
        items += [Item([img], {"truth": "fake", "model": g.name, "class": _label(labels, i), "attention": False})
                  for i, img in enumerate(images)]
    items += [Item([img], {"truth": "fake", "model": None, "class": None, "attention": True}) for img in noise]
    return items


def pair_items(generators, real: tuple[np.ndarray, np.ndarray | None], noise: np.ndarray,
               settings: StudySettings) -> list[Item]:
    """`n` pairs cycling through every pair of generators, sides at random; attention checks
    put noise beside a real image."""
    if len(generators) < 2:
        raise UserError("--protocol 2afc compares generators: give two or more")
    rng = np.random.default_rng([settings.seed, 2])
    combos = list(itertools.combinations(range(len(generators)), 2))
    pairs = [combos[k % len(combos)] for k in range(settings.n)]
    classes = {g.num_classes for g in generators}
    shared = classes.pop() if len(classes) == 1 else 0  # one class per pair when all share classes
    pair_class = rng.integers(shared, size=settings.n) if shared else None
    swap = rng.random(settings.n) < 0.5
    pictures: dict[tuple[int, int], np.ndarray] = {}
    for m, g in enumerate(generators):
        slots = [k for k, pair in enumerate(pairs) if m in pair]
        labels = pair_class[slots] if pair_class is not None else None
        for k, img in zip(slots, g.images(len(slots), settings.seed, labels)):
            pictures[(k, m)] = img
    items = []
    for k, (a, b) in enumerate(pairs):
        left, right = (b, a) if swap[k] else (a, b)
        items.append(Item([pictures[(k, left)], pictures[(k, right)]],
                          {"left": generators[left].name, "right": generators[right].name,
                           "class": _label(pair_class, k), "attention": False}))
    real_images, _ = real
    for j, img in enumerate(noise):
        real_left = bool(rng.random() < 0.5)
        shown = [real_images[j], img] if real_left else [img, real_images[j]]
        items.append(Item(shown, {"left": "real" if real_left else "noise", "right": "noise" if real_left else "real",
                                  "answer": "left" if real_left else "right", "class": None, "attention": True}))
    return items


def _labels_for(generator, count: int, seed: int) -> np.ndarray | None:
    if not generator.num_classes:
        return None
    return np.random.default_rng([seed, 3]).integers(generator.num_classes, size=count).astype(np.int64)


def _label(labels: np.ndarray | None, i: int) -> int | None:
    return None if labels is None else int(labels[i])


def png(image: np.ndarray) -> bytes:
    """uint8 `[H, W, C]` -> PNG bytes (no metadata: nothing but the pixels reaches the rater)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(buffer, format="PNG")
    return buffer.getvalue()


def assemble(items: list[Item], settings: StudySettings, description: dict[str, Any]) -> Study:
    """Shuffle the items by the seed, name them by position, hash them, split off the key."""
    order = np.random.default_rng([settings.seed, 1]).permutation(len(items))
    pages, key = [], {}
    for position, index in enumerate(order):
        item_id = f"q{position + 1:03d}"
        pages.append({"id": item_id, "images": [png(img) for img in items[index].images]})
        key[item_id] = items[index].key
    digest = hashlib.sha256(json.dumps({
        "protocol": settings.protocol, "exposure_ms": settings.exposure_ms,
        "items": [[p["id"], [hashlib.sha256(b).hexdigest() for b in p["images"]]] for p in pages],
        "key": hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()}, sort_keys=True).encode())
    manifest = {"format": STUDY_FORMAT, "study": digest.hexdigest()[:16], "protocol": settings.protocol,
                "seed": settings.seed, "n": settings.n, "attention_checks": settings.checks, "items": len(pages),
                "exposure_ms": settings.exposure_ms, **description,
                "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "gantool_version": __version__}
    return Study(manifest, key, pages)


def write(study: Study, folder: Path, html: str) -> None:
    """Write index.html, manifest.json and key.json into a new folder, all at once: built
    beside it, then renamed into place. An existing study (any non-empty folder) is refused."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UserError(f"{folder} already exists; a study is never overwritten, choose another -o")
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        (building / INDEX).write_text(html, encoding="utf-8")
        (building / MANIFEST).write_text(json.dumps(study.manifest, indent=1) + "\n")
        (building / KEY).write_text(json.dumps({"study": study.hash, "items": study.key}, indent=1) + "\n")
        os.chmod(building, FILE_MODE | (FILE_MODE & 0o444) >> 2)  # mkdtemp's 0o700 -> a folder's usual mode
        os.rename(building, folder)  # fails on a folder that filled meanwhile; never replaces a study
    except OSError as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise UserError(f"could not write the study to {folder} ({exc.strerror or exc})") from None


def load(folder: Path, key_path: Path | None = None) -> Study:
    """A study's manifest and key (from `key_path`, or key.json in the folder)."""
    folder = Path(folder)
    manifest = _read_json(folder / MANIFEST, f"{folder} is not a rating study (no {MANIFEST}; make one with gantool rate make)")
    if manifest.get("format") != STUDY_FORMAT:
        raise UserError(f"{folder / MANIFEST} is not a gantool rating study manifest")
    key_file = Path(key_path) if key_path else folder / KEY
    key = _read_json(key_file, f"{key_file} not found: the report needs the study's answer key (key.json, kept "
                               "apart from index.html); put it back in the study folder or pass --key")
    if key.get("study") != manifest.get("study") or not isinstance(key.get("items"), dict):
        raise UserError(f"{key_file} is not the key of study {folder} ({manifest.get('study')})")
    return Study(manifest, key["items"])


def _read_json(path: Path, missing: str) -> dict[str, Any]:
    if not path.is_file():
        raise UserError(missing)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"{path} is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} is not a JSON object")
    return data
