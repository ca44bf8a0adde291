"""Root conftest: settings for every test folder (gantool's and the plugins').

Under pytest-xdist each worker process, and every process a test starts (inheriting the
environment), computes on one CPU thread: with one worker per core, torch's default of one
thread per core would put twice as many busy threads as cores, and its threads spin-wait for
each other when descheduled (measured: a 2-thread stylegan2 step 12x slower on a loaded
2-core box than a 1-thread one)."""

from __future__ import annotations

import os
import sys


def pytest_configure(config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ["OMP_NUM_THREADS"] = "1"
        os.environ["MKL_NUM_THREADS"] = "1"
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(1)
