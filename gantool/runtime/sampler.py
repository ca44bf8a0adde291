"""Generate from an ONNX generator with ONNX Runtime; numpy in, numpy out, no torch.

    from gantool.runtime import Sampler
    images = Sampler("generator.onnx").sample(64, seed=0)        # [64, C, H, W] in [-1, 1]

Works with gantool's own exports (described by their metadata) and with any ONNX file
whose inputs fit: a float `[batch, latent]` input and optionally an int64 `[batch]` labels.
A generator with a scalar float input `truncation_psi` (StyleGAN's truncation trick) gets
`Sampler.truncation` there: 1 unless asked otherwise, or the file's `truncation_psi_default`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from gantool.core import onnx_meta as meta
from gantool.core.errors import UserError
from gantool.runtime.providers import usable_providers

# a generator's optional scalar truncation input and the metadata key of its default psi
# (StyleGAN's names; gantool-stylegan exports them)
TRUNCATION, TRUNCATION_DEFAULT = "truncation_psi", "truncation_psi_default"
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


@dataclass(frozen=True)
class ModelInfo:
    """What a generator file says about itself (metadata first, then its input shapes)."""

    latent_dim: int
    num_classes: int
    kind: str  # image | vector
    uint8: bool
    metadata: dict[str, str]
    z_name: str
    labels_name: str | None
    truncation_name: str | None = None  # a scalar float input that takes the truncation psi
    truncation_default: float = 1.0
    fixed_batch: int | None = None  # a graph exported with a static batch size runs in batches of exactly that


def choose_providers(provider: str) -> tuple[list[str], str | None]:
    """Providers to ask for, and a note for the user when `auto` falls back to the CPU."""
    if provider == "cpu":  # no probe: it costs seconds (onnx import, a session per provider)
        return [CPU], None
    usable = usable_providers()
    if provider == "cuda":
        if CUDA not in usable:
            raise UserError("--provider cuda: ONNX Runtime cannot use CUDA on this machine; use --provider cpu or auto")
        return [CUDA, CPU], None
    if provider != "auto":
        raise UserError(f"--provider must be auto, cuda or cpu, not {provider!r}")
    if CUDA in usable:
        return [CUDA, CPU], None
    return [CPU], "ONNX Runtime: no usable CUDA here, running on CPU"


def _describe(session, path: Path) -> ModelInfo:
    md = dict(session.get_modelmeta().custom_metadata_map)
    inputs = {i.name: i for i in session.get_inputs()}
    found = ", ".join(f"{i.name} {i.type} {i.shape}" for i in inputs.values())
    if meta.INPUT_IMAGE in inputs:
        raise UserError(f"{path} is an image-to-image model (input 'image'); it does not generate from latents")
    floats = [i for i in inputs.values() if i.type == "tensor(float)" and len(i.shape) == 2]
    ints = [i for i in inputs.values() if i.type == "tensor(int64)" and len(i.shape) == 1]
    z = inputs.get(meta.INPUT_Z) or (floats[0] if len(floats) == 1 else None)
    labels = inputs.get(meta.INPUT_LABELS) or (ints[0] if len(ints) == 1 else None)
    psi = inputs.get(TRUNCATION)
    psi = psi if psi is not None and psi.type == "tensor(float)" and len(psi.shape) == 0 else None
    if z is None or z.type != "tensor(float)" or len(z.shape) != 2 or \
            len(inputs) != 1 + (labels is not None) + (psi is not None):
        raise UserError(f"{path} does not fit a generator: expected z float [batch, latent_dim] and optionally "
                        f"labels int64 [batch] and a scalar float {TRUNCATION}; found {found}")
    latent = md.get(meta.LATENT_DIM) or (str(z.shape[1]) if isinstance(z.shape[1], int) else None)
    if latent is None:
        raise UserError(f"{path}: cannot tell the latent size (input {z.name} has shape {z.shape} and no metadata)")
    classes = int(md.get(meta.NUM_CLASSES, 0) or 0)
    if labels is not None and not classes:
        raise UserError(f"{path} takes labels but does not say how many classes (metadata {meta.NUM_CLASSES})")
    output = session.get_outputs()[0]
    kind = md.get(meta.KIND) or {2: "vector", 4: "image"}.get(len(output.shape))
    if kind is None or (kind, len(output.shape)) in (("image", 2), ("image", 3), ("vector", 3), ("vector", 4)):
        raise UserError(f"{path}: output {output.name!r} has shape {output.shape}, which gantool sample cannot "
                        f"write as {kind or 'images or points'}: it reads [batch, C, H, W] (or NHWC uint8) as images "
                        f"and [batch, D] as points, or what the '{meta.KIND}' metadata key names")
    fixed = z.shape[0] if isinstance(z.shape[0], int) and z.shape[0] > 0 else None
    return ModelInfo(int(latent), classes, kind, output.type == "tensor(uint8)", md, z.name,
                     labels.name if labels is not None else None, psi.name if psi is not None else None,
                     _float(md.get(TRUNCATION_DEFAULT, "1"), 1.0), fixed)


def _float(text: str, fallback: float) -> float:
    try:
        return float(text)
    except ValueError:
        return fallback


def open_session(path: Path, provider: str = "auto", prefix: str = ""):
    """An ONNX Runtime session on the providers that really work here, and the note for the
    user when `auto` fell back to the CPU. Errors are one line, after `prefix` (a plugin's name)."""
    import onnxruntime as ort

    if not path.is_file():
        raise UserError(f"{prefix}{path} does not exist")
    providers, note = choose_providers(provider)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=providers), note
    except Exception as exc:  # onnxruntime raises its own exception types for bad files
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{prefix}{path} is not a loadable ONNX model ({first})") from None


class Sampler:
    def __init__(self, path: str | Path, provider: str = "auto", truncation: float | None = None):
        self.path = Path(path)
        self.session, self.note = open_session(self.path, provider)
        self.provider = self.session.get_providers()[0]
        self.info = _describe(self.session, self.path)
        if truncation is not None and self.info.truncation_name is None:
            raise UserError(f"{self.path} has no {TRUNCATION} input; --truncation needs a generator "
                            "that takes one (stylegan2)")
        #: the psi fed to a `truncation_psi` input (unused without one)
        self.truncation = self.info.truncation_default if truncation is None else float(truncation)

    @property
    def on_cuda(self) -> bool:
        return self.provider == CUDA

    def latents(self, n: int, seed: int) -> np.ndarray:
        return np.random.default_rng(seed).standard_normal((n, self.info.latent_dim), dtype=np.float32)

    def check_labels(self, labels: np.ndarray | None, n: int) -> np.ndarray | None:
        if self.info.labels_name is None:
            if labels is not None:
                raise UserError(f"{self.path} is not conditional; it takes no labels")
            return None
        if labels is None:  # a conditional model with no labels asked for: cycle through classes
            return (np.arange(n) % self.info.num_classes).astype(np.int64)
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        if labels.shape != (n,):
            raise UserError(f"got {labels.shape[0]} labels for {n} samples")
        if labels.min() < 0 or labels.max() >= self.info.num_classes:
            raise UserError(f"labels must be in 0..{self.info.num_classes - 1}, got {labels.min()}..{labels.max()}")
        return labels

    def generate(self, z: np.ndarray, labels: np.ndarray | None = None, batch_size: int = 64,
                 progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Run the generator on given latents in batches; returns the stacked outputs."""
        if batch_size <= 0:
            raise UserError("batch size must be positive")
        z = np.ascontiguousarray(z, dtype=np.float32)
        labels = self.check_labels(labels, len(z))
        fixed = self.info.fixed_batch  # a static batch (e.g. exported at batch 1): exactly that many a call
        batch_size = fixed or batch_size
        chunks = []
        for start in range(0, len(z), batch_size):
            count = min(batch_size, len(z) - start)
            rows = np.arange(start, start + count)
            if fixed and count < fixed:  # pad the last call with repeats; their outputs are dropped
                rows = np.concatenate([rows, np.full(fixed - count, rows[-1])])
            feeds = {self.info.z_name: z[rows]}
            if labels is not None:
                feeds[self.info.labels_name] = labels[rows]
            if self.info.truncation_name is not None:
                feeds[self.info.truncation_name] = np.array(self.truncation, dtype=np.float32)
            out = self._run_bound(feeds) if self.on_cuda else self.session.run(None, feeds)[0]
            chunks.append(out[:count])
            if progress:
                progress(count)
        return np.concatenate(chunks)

    def sample(self, n: int, seed: int = 0, labels: np.ndarray | None = None, batch_size: int = 64,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        """`n` samples from the seeded latents: the same seed gives the same samples."""
        if n <= 0:
            raise UserError(f"the number of samples must be positive, got {n}")
        return self.generate(self.latents(n, seed), labels, batch_size, progress)

    def _run_bound(self, feeds: dict[str, np.ndarray], device: str = "cuda") -> np.ndarray:
        """IO binding: inputs copied to the device once, output allocated there, no extra copies."""
        import onnxruntime as ort

        binding = self.session.io_binding()
        for name, value in feeds.items():
            binding.bind_ortvalue_input(name, ort.OrtValue.ortvalue_from_numpy(value, device, 0))
        binding.bind_output(self.session.get_outputs()[0].name, device)
        self.session.run_with_iobinding(binding)
        return binding.copy_outputs_to_cpu()[0]
