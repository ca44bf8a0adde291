"""The FID Inception-v3: the network every published FID is computed with.

It is the TensorFlow 2015-12-05 Inception graph as ported to PyTorch by pytorch-fid: the
torchvision Inception-v3 layout (so its state_dict keys are the canonical ones) with a
1008-class head and the FID variants of three blocks: the average pools of blocks A, C and
the first E do not count padding, and the last E block max-pools. Features are the 2048
pool3 activations; IS logits are fc without its bias (torch-fidelity's "logits_unbiased").

Weights (95.6 MB) are never bundled: downloaded once from pytorch-fid's release, verified
by sha256 and size, cached; `GANTOOL_INCEPTION_WEIGHTS=PATH` serves air-gapped machines.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gantool.core.errors import UserError

WEIGHTS_ENV = "GANTOOL_INCEPTION_WEIGHTS"
WEIGHTS_URL_DIR = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights"
WEIGHTS_NAME = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
WEIGHTS_SIZE = 95_628_359
INPUT_SIZE = 299
FEATURE_DIM = 2048


class BasicConv2d(nn.Module):
    """conv (no bias) -> BatchNorm (eps 1e-3, as TF) -> ReLU."""

    def __init__(self, cin: int, cout: int, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def _avg_pool_no_pad(x):
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)


class BlockA(nn.Module):
    def __init__(self, cin: int, pool_features: int):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, 1)
        self.branch5x5_1 = BasicConv2d(cin, 48, 1)
        self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, 1)

    def forward(self, x):
        return torch.cat([
            self.branch1x1(x),
            self.branch5x5_2(self.branch5x5_1(x)),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            self.branch_pool(_avg_pool_no_pad(x)),
        ], 1)


class BlockB(nn.Module):
    """Grid reduction 35 -> 17."""

    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x):
        return torch.cat([
            self.branch3x3(x),
            self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
            F.max_pool2d(x, 3, stride=2),
        ], 1)


class BlockC(nn.Module):
    """Factorised 7x7 convolutions at 17 x 17."""

    def __init__(self, cin: int, c7: int):
        super().__init__()
        row, col = dict(padding=(0, 3)), dict(padding=(3, 0))
        self.branch1x1 = BasicConv2d(cin, 192, 1)
        self.branch7x7_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), **row)
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), **col)
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), **col)
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), **row)
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), **col)
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), **row)
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x):
        seven = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        double = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                      self.branch7x7dbl_5):
            double = layer(double)
        return torch.cat([self.branch1x1(x), seven, double, self.branch_pool(_avg_pool_no_pad(x))], 1)


class BlockD(nn.Module):
    """Grid reduction 17 -> 8."""

    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x):
        seven = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), seven, F.max_pool2d(x, 3, stride=2)], 1)


class BlockE(nn.Module):
    """Expanded filter bank at 8 x 8; `max_pool` for the last block of the FID network."""

    def __init__(self, cin: int, max_pool: bool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(cin, 320, 1)
        self.branch3x3_1 = BasicConv2d(cin, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x):
        three = self.branch3x3_1(x)
        double = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pooled = F.max_pool2d(x, 3, stride=1, padding=1) if self.max_pool else _avg_pool_no_pad(x)
        return torch.cat([
            self.branch1x1(x),
            self.branch3x3_2a(three), self.branch3x3_2b(three),
            self.branch3x3dbl_3a(double), self.branch3x3dbl_3b(double),
            self.branch_pool(pooled),
        ], 1)


class FIDInception(nn.Module):
    """Input: [N, 3, 299, 299] already normalised to about [-1, 1]. Output: (pool3 features
    [N, 2048], IS logits without the fc bias [N, 1008])."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b = BlockA(192, 32)
        self.Mixed_5c = BlockA(256, 64)
        self.Mixed_5d = BlockA(288, 64)
        self.Mixed_6a = BlockB(288)
        self.Mixed_6b = BlockC(768, 128)
        self.Mixed_6c = BlockC(768, 160)
        self.Mixed_6d = BlockC(768, 160)
        self.Mixed_6e = BlockC(768, 192)
        self.Mixed_7a = BlockD(768)
        self.Mixed_7b = BlockE(1280, max_pool=False)
        self.Mixed_7c = BlockE(2048, max_pool=True)
        self.fc = nn.Linear(FEATURE_DIM, 1008)

    def forward(self, x):
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                      self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)
        features = x.mean(dim=(2, 3))
        return features, features @ self.fc.weight.T


def weights_path() -> Path:
    """The verified weights file: $GANTOOL_INCEPTION_WEIGHTS, or the cache (downloaded once)."""
    from gantool.core.cache import cache_dir
    from gantool.core.download import RemoteFile, fetch, is_valid

    remote = RemoteFile(WEIGHTS_NAME, WEIGHTS_SHA256, WEIGHTS_SIZE, (WEIGHTS_URL_DIR,))
    given = os.environ.get(WEIGHTS_ENV)
    if given:
        path = Path(given).expanduser()
        if not is_valid(path, remote):
            raise UserError(f"{WEIGHTS_ENV}={path} is not the FID Inception weights file "
                            f"({WEIGHTS_NAME}, {WEIGHTS_SIZE} bytes, sha256 {WEIGHTS_SHA256[:12]}...)")
        return path
    try:
        return fetch(remote, cache_dir("weights"))
    except UserError as exc:
        raise UserError(f"cannot get the FID Inception weights ({exc}); download {WEIGHTS_URL_DIR}/{WEIGHTS_NAME} "
                        f"once and set {WEIGHTS_ENV}=PATH, or allow the download") from None


def load(path: Path | None = None) -> FIDInception:
    model = FIDInception()
    state = torch.load(path or weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval().requires_grad_(False)


RESIZE_MODES = ("tf", "pytorch-fid")


def _interpolation_matrix(pos: np.ndarray, n_in: int) -> np.ndarray:
    """[len(pos), n_in] weights of linear interpolation at float32 positions `pos`, the
    weights themselves float32 (frac = pos - floor(pos), 1 - frac) as the references compute them."""
    pos = pos.astype(np.float32)
    lo = np.floor(pos)
    frac = pos - lo
    lo = np.clip(lo.astype(int), 0, n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    m = np.zeros((len(pos), n_in), dtype=np.float32)
    np.add.at(m, (np.arange(len(pos)), lo), np.float32(1) - frac)
    np.add.at(m, (np.arange(len(pos)), hi), frac)
    return m


def _scale(n_in: int, n_out: int) -> np.float32:
    # float32, as TF1, torch-fidelity and torch compute it: float64 moves the 299th sample of a
    # 300 px image by ~2e-5 of a pixel, enough to change the network input by 1e-4
    return np.float32(n_in) / np.float32(n_out)


def _tf1_bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """TF1 `resize_bilinear` (align_corners=False, no half-pixel centres) as a [n_out, n_in]
    matrix: output i samples input position i * (n_in / n_out), all in float32."""
    return _interpolation_matrix(np.arange(n_out, dtype=np.float32) * _scale(n_in, n_out), n_in)


def _half_pixel_bilinear_matrix(n_in: int, n_out: int) -> np.ndarray:
    """torch's bilinear with align_corners=False: output i samples max(0, (n_in / n_out) *
    (i + 0.5) - 0.5), the scale in float32 and the position one fused multiply-add (one
    rounding to float32, as torch's CPU and CUDA kernels compute it): the float64 product of
    a float32 and i + 0.5 is exact, so rounding it once after the subtraction is the FMA."""
    pos = (np.float64(_scale(n_in, n_out)) * (np.arange(n_out) + 0.5) - 0.5).astype(np.float32)
    return _interpolation_matrix(np.maximum(pos, np.float32(0)), n_in)


def preprocess(images: np.ndarray, resize: str = "tf") -> np.ndarray:
    """gantool images ([N, C, H, W] float in [-1, 1], C = 1 or 3) -> the network's float32 input.

    Both protocols first quantise to uint8 by rounding, as images saved to disk would be.
    "tf" (torch-fidelity, the TF FID code): TF1 bilinear resize to 299, then (x - 128) / 128.
    "pytorch-fid": x / 255, bilinear resize with half-pixel centres (torch's
    align_corners=False), then 2x - 1. numpy only, so the ONNX Runtime path needs no torch.
    """
    if resize not in RESIZE_MODES:
        raise UserError(f"--resize must be one of {', '.join(RESIZE_MODES)}, not {resize!r}")
    x = np.round((np.clip(np.asarray(images, np.float32), -1, 1) + 1) * 127.5)
    if x.shape[1] == 1:
        x = np.repeat(x, 3, axis=1)
    matrix = _tf1_bilinear_matrix if resize == "tf" else _half_pixel_bilinear_matrix
    rows, cols = matrix(x.shape[2], INPUT_SIZE), matrix(x.shape[3], INPUT_SIZE)
    x = np.einsum("oh,nchw,pw->ncop", rows, x, cols, optimize=True).astype(np.float32)
    return (x - 128) / 128 if resize == "tf" else (x / 255) * 2 - 1
