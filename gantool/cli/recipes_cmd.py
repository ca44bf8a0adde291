"""`gantool recipes [MODEL]`: the named bundles of settings `gantool train MODEL --recipe NAME`
takes, with what each reached."""

from __future__ import annotations

import json

import typer


def _as_flags(settings: dict) -> str:
    """The settings as the --set words a user would type for them."""
    return " ".join(f"--set {key}={str(value).lower() if isinstance(value, bool) else value}"
                    for key, value in settings.items())


def register(app: typer.Typer) -> None:
    @app.command("recipes")
    def recipes(model: str | None = typer.Argument(None, metavar="[MODEL]", help="Only this model's recipes."),
                as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON.")) -> None:
        """List recipes: named settings for a model (`gantool train MODEL --recipe NAME`); plugins add their own."""
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        from gantool.plugins import registry

        reg = registry()
        if model is not None:
            reg.get("model", model)  # an unknown model is one line with a suggestion
        found = sorted((r for r in reg.specs["recipe"].values() if model in (None, r.model)), key=lambda r: r.key)
        if as_json:
            typer.echo(json.dumps([{"model": r.model, "name": r.name, "summary": r.summary, "settings": r.settings,
                                    "results": r.results, "from": reg.provider("recipe", r.key)} for r in found],
                                  indent=2))
            return
        if not found:
            typer.echo("no recipes" + (f" for model {model!r}" if model else ""))
            return
        table = Table()
        for column in ("recipe", "what it sets", "reached"):
            table.add_column(column, overflow="fold")
        for recipe in found:
            table.add_row(f"gantool train {recipe.model} --recipe {recipe.name}",
                          f"{escape(recipe.summary)}\n[dim]{escape(_as_flags(recipe.settings))}[/]",
                          escape(recipe.results or "-"))
        Console().print(table)
