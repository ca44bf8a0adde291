"""Built-in feature extractors, registered through the same hook as any plugin's.

An extractor turns images ([N, C, H, W] float32 in [-1, 1], any size and channel count) into
`Features`: the vectors the distances are computed on and, when it has a classifier head,
logits for IS-style scores. `protocol` says exactly what produced them; it is part of every
result and of the reference-statistics cache key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gantool import hookimpl
from gantool.core.errors import UserError
from gantool.specs import FeatureExtractorSpec, lazy


@dataclass
class Features:
    features: np.ndarray  # [N, d] float32
    logits: np.ndarray | None  # [N, classes] or None


def resize(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of [N, C, H, W] float images to size x size (no-op when they fit)."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    from PIL import Image

    out = np.empty((*images.shape[:2], size, size), dtype=np.float32)
    for i, img in enumerate(images):
        for c, plane in enumerate(img):
            out[i, c] = np.asarray(Image.fromarray(plane.astype(np.float32), mode="F").resize(
                (size, size), Image.Resampling.BILINEAR))
    return out


def to_channels(images: np.ndarray, channels: int) -> np.ndarray:
    if images.shape[1] == channels:
        return images
    if channels == 1:
        return images.mean(axis=1, keepdims=True)
    if images.shape[1] == 1:
        return np.repeat(images, channels, axis=1)
    raise UserError(f"cannot feed {images.shape[1]}-channel images to a {channels}-channel feature extractor")


class LeNetFeatures:
    """lenet-mnist: 128-d features and 10 logits from the classifier shipped with gantool."""

    input_channels, input_size = 1, 28  # what --real/--fake load images at

    def __init__(self, arg: str | None = None):
        from gantool.metrics import lenet

        self.protocol = {"extractor": "lenet-mnist", "weights_sha256": lenet.weights_sha256(),
                         "input": "28x28 grey, bilinear resize, channel mean", "features": "fc1 (128)"}

    def __call__(self, images: np.ndarray, batch_size: int = 500) -> Features:
        import torch

        from gantool.metrics import lenet

        model = lenet.load()
        x = to_channels(resize(np.asarray(images, np.float32), 28), 1)
        feats, logits = [], []
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                h = model.features(torch.from_numpy(np.ascontiguousarray(x[start : start + batch_size])))
                feats.append(h.numpy())
                logits.append(model.fc2(h).numpy())
        return Features(np.concatenate(feats), np.concatenate(logits))


class OnnxFeatures:
    """onnx:PATH: any ONNX model taking [N, C, H, W] float images in [-1, 1]. Its first output
    is the features; a second output, if any, is taken as class logits."""

    def __init__(self, arg: str | None, provider: str = "auto"):
        if not arg:
            raise UserError("give the feature model's path: --features onnx:PATH")
        import hashlib

        import onnxruntime as ort

        from gantool.runtime.sampler import choose_providers

        path = Path(arg).expanduser()
        if not path.is_file():
            raise UserError(f"feature model {path} does not exist")
        options = ort.SessionOptions()
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), options, providers=choose_providers(provider)[0])
        except Exception as exc:
            raise UserError(f"{path} is not a loadable ONNX model ({str(exc).strip().splitlines()[0][:200]})") from None
        inp = self.session.get_inputs()[0]
        if len(inp.shape) != 4 or inp.type != "tensor(float)":
            raise UserError(f"feature model {path} must take float images [N, C, H, W]; its input is {inp.type} {inp.shape}")
        self.input_name = inp.name
        self.channels = inp.shape[1] if isinstance(inp.shape[1], int) else None
        self.size = inp.shape[2] if isinstance(inp.shape[2], int) else None
        self.input_channels, self.input_size = self.channels, self.size
        self.protocol = {"extractor": f"onnx:{path.name}", "weights_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                         "input": f"{self.channels or 'any'} channels, {self.size or 'any'} px, bilinear resize"}

    def __call__(self, images: np.ndarray, batch_size: int = 200) -> Features:
        x = np.asarray(images, np.float32)
        if self.size:
            x = resize(x, self.size)
        if self.channels:
            x = to_channels(x, self.channels)
        outs = [self.session.run(None, {self.input_name: np.ascontiguousarray(x[s : s + batch_size])})
                for s in range(0, len(x), batch_size)]
        feats = np.concatenate([o[0].reshape(len(o[0]), -1) for o in outs]).astype(np.float32)
        logits = np.concatenate([o[1].reshape(len(o[1]), -1) for o in outs]) if len(outs[0]) > 1 else None
        return Features(feats, logits)


@hookimpl
def register_feature_extractors(register):
    register(FeatureExtractorSpec(
        name="lenet-mnist",
        summary="small MNIST classifier shipped with gantool (99.3 % test): 128-d features, 10 logits",
        factory=lazy("gantool.metrics.features", "LeNetFeatures"),
    ))
    register(FeatureExtractorSpec(
        name="inception",
        summary="the FID Inception-v3 (2048-d pool3, IS logits); weights downloaded once and verified; inception:torch for PyTorch",
        factory=lazy("gantool.metrics.features", "InceptionFeatures"),
    ))
    register(FeatureExtractorSpec(
        name="onnx",
        summary="any ONNX feature model: onnx:PATH (first output features, optional second logits)",
        factory=lazy("gantool.metrics.features", "OnnxFeatures"),
    ))
    register(FeatureExtractorSpec(
        name="shapes-net",
        summary="small classifier of the shapes dataset's 24 shape x colour combinations, shipped with gantool: "
                "64-d features, 24 logits",
        factory=lazy("gantool.metrics.shapes_coverage", "ShapesFeatures"),
    ))


class InceptionFeatures:
    """inception (ONNX Runtime) or inception:torch: the FID Inception-v3 (gantool/metrics/inception.py).

    The ONNX graph is exported once from the verified weights and cached under
    $GANTOOL_HOME/inception (never beside the weights, which may be read-only), named by the
    weights' hash, gantool's version and the network code's hash, so an export made by an
    older gantool is never reused; `resize` picks the preprocessing protocol (tf or pytorch-fid)."""

    input_channels, input_size = 3, None  # RGB at the images' own size: preprocess resizes to 299

    def __init__(self, arg: str | None = None, weights: Path | None = None, provider: str = "auto"):
        from gantool.core.download import sha256_file
        from gantool.metrics import inception

        if arg not in (None, "onnx", "torch"):
            raise UserError(f"inception runs in ONNX Runtime (inception) or PyTorch (inception:torch), not {arg!r}")
        self.engine = arg or "onnx"
        self.weights = Path(weights) if weights else inception.weights_path()
        self.sha256 = inception.WEIGHTS_SHA256 if weights is None else sha256_file(self.weights)
        self.provider = provider
        self.resize = "tf"
        self._run = None

    @property
    def protocol(self) -> dict:
        return {"extractor": "inception", "engine": self.engine, "weights_sha256": self.sha256,
                "resize": self.resize, "features": "pool3 (2048)", "logits": "fc without bias (1008)"}

    def onnx_cache_path(self) -> Path:
        """Where the ONNX export of these weights by this gantool lives (see the class docstring)."""
        import hashlib

        from gantool import __version__
        from gantool.core.cache import cache_dir
        from gantool.metrics import inception

        code = hashlib.sha256(Path(inception.__file__).read_bytes()).hexdigest()[:8]
        version = "".join(c if c.isalnum() or c in ".-" else "_" for c in __version__)
        return cache_dir("inception") / f"fid-inception-{self.sha256[:16]}-gantool-{version}-{code}.onnx"

    def onnx_path(self) -> Path:
        """The cached ONNX export of these weights, made on first use."""
        from gantool.core.fsutil import atomic_write

        path = self.onnx_cache_path()
        if not path.is_file():
            import torch

            from gantool.export.onnx_export import quiet_exporter
            from gantool.metrics import inception

            model = inception.load(self.weights)
            example = torch.zeros(2, 3, inception.INPUT_SIZE, inception.INPUT_SIZE)
            with quiet_exporter():
                program = torch.onnx.export(model, (example,), input_names=["images"], output_names=["features", "logits"],
                                            dynamic_shapes={"x": {0: torch.export.Dim("batch")}}, dynamo=True)
            atomic_write(path, lambda fh: fh.write(program.model_proto.SerializeToString()), mode="wb")
        return path

    def _runner(self):
        if self._run is not None:
            return self._run
        if self.engine == "torch":
            import torch

            from gantool.metrics import inception

            model = inception.load(self.weights)

            def run(x):
                with torch.no_grad():
                    features, logits = model(torch.from_numpy(x))
                return features.numpy(), logits.numpy()
        else:
            import onnxruntime as ort

            from gantool.runtime.sampler import choose_providers

            options = ort.SessionOptions()
            options.log_severity_level = 3
            session = ort.InferenceSession(str(self.onnx_path()), options, providers=choose_providers(self.provider)[0])

            def run(x):
                return tuple(session.run(None, {session.get_inputs()[0].name: x}))
        self._run = run
        return run

    def __call__(self, images: np.ndarray, batch_size: int = 50) -> Features:
        from gantool.metrics.inception import preprocess

        run = self._runner()
        feats, logits = [], []
        for start in range(0, len(images), batch_size):
            features, class_logits = run(preprocess(images[start : start + batch_size], self.resize))
            feats.append(features)
            logits.append(class_logits)
        return Features(np.concatenate(feats).astype(np.float32), np.concatenate(logits))
