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


def cache_dir(*parts: str) -> Path:
    path = cache_root().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
