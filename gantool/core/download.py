"""The one way gantool fetches files: mirror-aware, verified, atomic, with a progress bar.

`GANTOOL_DATA_MIRROR` (a directory or a URL) replaces the canonical hosts, for air-gapped
machines. A file only reaches the cache after its sha256 and size match; a bad download
never replaces a good cached file.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

from gantool.core.errors import UserError

MIRROR_ENV = "GANTOOL_DATA_MIRROR"
CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """A file we know by content: where it lives and what it must hash to.

    `gzip=True` means hosts serve `name + ".gz"`, the cache keeps the decompressed file and
    the hash is of the decompressed bytes (mirrors may recompress, so the compressed bytes
    are not pinned: MNIST). Without it the file is kept and verified exactly as served, so
    a name ending in `.gz` or `.tar.gz` pins the compressed bytes (the hashes most datasets
    publish: Fashion-MNIST, CIFAR). `mirror_folder` is the subfolder of a mirror looked in
    first, for sets whose file names clash with another's (Fashion-MNIST's are MNIST's).
    """

    name: str
    sha256: str
    size: int
    hosts: tuple[str, ...]
    gzip: bool = False
    mirror_folder: str = ""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def is_valid(path: Path, remote: RemoteFile) -> bool:
    return path.is_file() and path.stat().st_size == remote.size and sha256_file(path) == remote.sha256


def _sources(remote: RemoteFile) -> list[str]:
    """Candidate URLs or local paths, the mirror alone when one is configured."""
    names = [remote.name + ".gz", remote.name] if remote.gzip else [remote.name]
    mirror = os.environ.get(MIRROR_ENV)
    if mirror and remote.mirror_folder:
        names = [f"{remote.mirror_folder}/{n}" for n in names] + names
    if mirror:
        if "://" in mirror and not mirror.startswith("file://"):
            base = mirror.rstrip("/") + "/"
            return [urllib.parse.urljoin(base, n) for n in names]
        root = Path(mirror.removeprefix("file://")).expanduser()
        if not root.is_dir():
            raise UserError(f"{MIRROR_ENV}={mirror} is not a directory or URL; point it at the folder holding {remote.name}")
        found = [str(root / n) for n in names if (root / n).is_file()]
        if not found:
            raise UserError(f"mirror {root} has no {' or '.join(names)}; copy the file there or unset {MIRROR_ENV}")
        return found
    return [host.rstrip("/") + "/" + names[0] for host in remote.hosts]


def _copy_with_progress(src, dst, total: int | None, label: str) -> None:
    show = sys.stderr.isatty()
    if not show:
        shutil.copyfileobj(src, dst, CHUNK)
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    with Progress(
        "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        for block in iter(lambda: src.read(CHUNK), b""):
            dst.write(block)
            bar.advance(task, len(block))


def _fetch_raw(source: str, dst: Path, label: str) -> None:
    if "://" not in source:
        with open(source, "rb") as src, open(dst, "wb") as out:
            _copy_with_progress(src, out, os.path.getsize(source), label)
        return
    request = urllib.request.Request(source, headers={"User-Agent": "gantool"})
    with urllib.request.urlopen(request, timeout=60) as response, open(dst, "wb") as out:
        length = response.headers.get("Content-Length")
        _copy_with_progress(response, out, int(length) if length else None, label)


def _decompress_if_gzip(path: Path, remote: RemoteFile, source: str) -> None:
    """Replace `path` by its decompressed bytes; bad gzip data is a failed verification,
    and the half-written output never stays behind."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if not remote.gzip or magic != b"\x1f\x8b":  # kept as served: pinned by the bytes served
        return
    tmp = path.with_name(path.name + ".raw")
    try:
        with gzip.open(path, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)
        os.replace(tmp, path)
    except (OSError, EOFError, zlib.error) as exc:
        raise UserError(f"{remote.name} from {source} failed verification (not valid gzip data: {exc}): the file "
                        f"is corrupt, replace it" + (f" or unset {MIRROR_ENV}" if os.environ.get(MIRROR_ENV) else "")) from None
    finally:
        tmp.unlink(missing_ok=True)


def fetch(remote: RemoteFile, dest_dir: Path) -> Path:
    """Return the cached, verified file, downloading it first if needed."""
    dest = dest_dir / remote.name
    if is_valid(dest, remote):
        return dest
    sources = _sources(remote)  # a misconfigured mirror is refused before the cache is touched
    made = _missing_folders(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _fetch_from(sources, remote, dest_dir, dest)
    except BaseException:
        for folder in made:  # a failed first download leaves no empty cache folders either
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def _missing_folders(path: Path) -> list[Path]:
    """`path` and those of its parents that do not exist yet, deepest first."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def _fetch_from(sources: list[str], remote: RemoteFile, dest_dir: Path, dest: Path) -> Path:
    errors: list[str] = []
    for source in sources:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{remote.name}.", dir=dest_dir)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _fetch_raw(source, tmp, remote.name)
            _decompress_if_gzip(tmp, remote, source)
            size, digest = tmp.stat().st_size, sha256_file(tmp)
            if size != remote.size or digest != remote.sha256:
                raise UserError(
                    f"{remote.name} from {source} failed verification (sha256 {digest[:16]}..., {size} bytes; "
                    f"expected {remote.sha256[:16]}..., {remote.size} bytes): the file is corrupt, replace it"
                    + (f" or unset {MIRROR_ENV}" if os.environ.get(MIRROR_ENV) else "")
                )
            os.replace(tmp, dest)
            return dest
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            errors.append(f"{source}: {reason}")
        finally:
            tmp.unlink(missing_ok=True)
    raise UserError(
        f"cannot download {remote.name} ({'; '.join(errors)}); offline? set {MIRROR_ENV} to a folder or URL "
        f"holding it, or copy it to {dest}"
    )
