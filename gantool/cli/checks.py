"""`gantool checks`: what this machine offers gantool (versions, devices, providers, plugins)."""

from __future__ import annotations

import platform

import typer


def _torch_rows() -> list[tuple[str, str]]:
    try:
        import torch
    except ImportError as exc:
        return [("torch", f"not importable ({exc})")]
    rows = [("torch", torch.__version__)]
    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        rows.append(("CUDA", f"{torch.version.cuda} ({names})"))
    else:
        rows.append(("CUDA", f"not available (built for {torch.version.cuda or 'CPU only'})"))
    mps = getattr(torch.backends, "mps", None)
    rows.append(("MPS", "available" if mps is not None and mps.is_available() else "not available"))
    return rows


def _onnx_rows() -> list[tuple[str, str]]:
    try:
        import onnxruntime as ort
    except ImportError as exc:
        return [("onnxruntime", f"not importable ({exc})")]
    from gantool.runtime.providers import usable_providers

    return [
        ("onnxruntime", ort.__version__),
        ("providers listed", ", ".join(ort.get_available_providers())),
        ("providers usable", ", ".join(usable_providers())),
    ]


def register(app: typer.Typer) -> None:
    @app.command("checks")
    def checks() -> None:
        """Report Python, torch, CUDA, ONNX Runtime providers and plugin status."""
        from rich.console import Console
        from rich.table import Table

        from gantool import __version__
        from gantool.plugins import get_plugins

        table = Table("component", "status", show_header=False)
        table.add_row("gantool", __version__)
        table.add_row("python", f"{platform.python_version()} ({platform.platform()})")
        for name, value in _torch_rows() + _onnx_rows():
            table.add_row(name, value)
        infos = get_plugins().registry.plugins.values()
        failed = [i for i in infos if i.status == "failed"]
        table.add_row("plugins", f"{len(infos) - len(failed)} loaded, {len(failed)} failed")
        for info in failed:
            table.add_row(f"  {info.name}", f"failed: {info.error}")
        Console().print(table)
