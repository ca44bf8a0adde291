"""Where gantool keeps downloads and cached statistics: $GANTOOL_HOME or the user cache dir."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def cache_root() -> Path:
    if home := os.environ.get("GANTOOL_HOME"):
        return Path(home).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "gantool" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "gantool"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gantool"


def cache_dir(*parts: str, create: bool = True) -> Path:
    """A folder in the cache; `create=False` for a download's destination, which the
    download makes only once it knows where the bytes come from (a bad mirror leaves no trace)."""
    path = cache_root().joinpath(*parts)
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
