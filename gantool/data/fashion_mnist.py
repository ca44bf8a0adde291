"""Fashion-MNIST (Xiao et al. 2017): 70,000 28x28 grey photos of clothing in 10 classes, in
MNIST's IDX format and file names.

Pinned by the sha256 of the .gz files as the authors publish them (the cache keeps them
compressed, read at each start in a fraction of a second). Because the names clash with
MNIST's, a mirror may keep them in a `fashion-mnist/` subfolder, which is looked in first.
"""

from __future__ import annotations

from gantool.core.download import RemoteFile
from gantool.data.mnist import load_idx_set
from gantool.specs import DataArrays, DataRequest

HOSTS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
         "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion")
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def _file(name: str, sha256: str, size: int) -> RemoteFile:
    return RemoteFile(name, sha256, size, HOSTS, mirror_folder="fashion-mnist")


FILES = {
    "train-images": _file("train-images-idx3-ubyte.gz",
                          "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26421880),
    "train-labels": _file("train-labels-idx1-ubyte.gz",
                          "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29515),
    "t10k-images": _file("t10k-images-idx3-ubyte.gz",
                         "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4422102),
    "t10k-labels": _file("t10k-labels-idx1-ubyte.gz",
                         "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5148),
}


def load(arg: str | None, request: DataRequest) -> DataArrays:
    return load_idx_set("fashion-mnist", "Fashion-MNIST", FILES, arg or request.split, request)
