"""`gantool table-data NAME -o FILE.csv`: write a scikit-learn table as CSV (for the demo)."""

from __future__ import annotations

from pathlib import Path

import typer


def table_data(
    name: str = typer.Argument(..., help="breast-cancer, wine or iris."),
    output: Path = typer.Option(..., "-o", "--output", help="The CSV file to write."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Write a table scikit-learn ships (breast-cancer, wine, iris) as CSV, e.g. for csv:PATH."""
    from gantool import UserError, write_csv
    from gantool_tabular import PLUGIN
    from gantool_tabular.datasets import sklearn_table

    if output.exists() and not force:
        raise UserError(f"{PLUGIN}: {output} exists; pass --force to replace it")
    table, columns = sklearn_table(name)
    write_csv(output, table, columns)
    typer.echo(f"wrote {len(table)} rows x {len(columns)} columns to {output}")
