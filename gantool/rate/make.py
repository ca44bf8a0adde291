"""`gantool rate make`: generators and a real dataset in, a study folder out."""

from __future__ import annotations

from pathlib import Path

from gantool.core.errors import UserError
from gantool.rate import page, sources, study
from gantool.rate.study import Study, StudySettings


def make_study(registry, generators: list[Path], real: str | None, settings: StudySettings, out: Path,
               provider: str = "auto") -> Study:
    """Sample every generator, draw the real images, and write the study folder (refusing
    an existing one before any work)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UserError(f"{out} already exists; a study is never overwritten, choose another -o")
    opened = sources.open_generators(generators, provider)
    shape = opened[0].shape
    needs_real = settings.n // 2 if settings.protocol == "hype" else settings.checks
    if needs_real and not real:
        raise UserError(f"--real DATASET is needed: the {settings.protocol} study shows real images"
                        + (" in its attention checks" if settings.protocol == "2afc" else ""))
    real_set = sources.real_images(registry, real, needs_real, settings.seed, shape) if needs_real else (None, None)
    noise = sources.attention_images(settings.checks, shape, settings.seed)
    build = study.hype_items if settings.protocol == "hype" else study.pair_items
    items = build(opened, real_set, noise, settings)
    made = study.assemble(items, settings, {"real": real, "models": [g.describe() for g in opened]})
    study.write(made, out, page.render(made))
    return made
