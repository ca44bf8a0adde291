"""`gantool plugins`: what is installed, what each plugin registers, and what failed."""

from __future__ import annotations

import json

import typer

PLURAL = {"loss": "losses"}


def register(app: typer.Typer) -> None:
    @app.command("plugins")
    def plugins(as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON.")) -> None:
        """List plugins (built-in and installed), their versions and what they register."""
        from rich.console import Console
        from rich.markup import escape
        from rich.table import Table

        from gantool.plugins import get_plugins

        reg = get_plugins().registry
        infos = list(reg.plugins.values())
        if as_json:
            typer.echo(json.dumps([i.to_json() for i in infos], indent=2))
            return
        table = Table()
        for column in ("plugin", "version", "registers", "status"):  # fold long names, never cut them
            table.add_column(column, overflow="fold")
        for info in infos:
            registers = "\n".join(f"{PLURAL.get(kind, kind + 's')}: {', '.join(names)}" for kind, names in info.registered.items())
            status = "[green]loaded[/]" if info.status == "loaded" else "[red]failed[/] (below)"
            name = f"{info.name} (built-in)" if info.builtin else info.name
            table.add_row(name, info.version, registers or "-", status)
        console = Console()
        console.print(table)
        # reasons go below the table, where they wrap at any width instead of being cut in a cell
        for info in infos:
            if info.status == "failed":
                console.print(f"[red]{escape(info.name)} failed:[/] {escape(info.error)}", highlight=False)
            for note in info.notes:
                console.print(f"[yellow]{escape(info.name)}:[/] {escape(note)}", highlight=False)
        for (kind, name), owners in sorted(reg.clashes.items()):
            claims = " and ".join(sorted(reg.plugins[p].provider for p in owners))
            console.print(escape(f"{kind} {name!r} is registered by both {claims}: neither is used"), style="yellow",
                          highlight=False)
        for name in reg.names("model"):  # flags models add to `gantool train`
            for flag in reg.get("model", name).flags:
                console.print(f"gantool train {name} {flag.flag} {flag.metavar}: {flag.help}", highlight=False)
