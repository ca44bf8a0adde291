"""Tables as a data kind: the column description and the CSV gantool writes from samples."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from gantool.core import tables
from gantool.core.errors import UserError

COLUMNS = [{"name": "size", "kind": "continuous"}, {"name": "colour", "kind": "discrete", "categories": ["red", "blue"]}]


def test_csv_has_names_and_category_labels(tmp_path):
    rows = np.array([[1.5, 0.0], [2.25, 1.0], [-3.0, 0.6], [1e6, 7.0]], dtype=np.float32)
    path = tmp_path / "out.csv"
    tables.write_csv(path, rows, COLUMNS)
    with path.open() as fh:
        got = list(csv.reader(fh))
    # discrete cells are rounded and clipped into the category range
    assert got == [["size", "colour"], ["1.5", "red"], ["2.25", "blue"], ["-3", "blue"], ["1e+06", "blue"]]


def test_description_round_trips_and_is_checked():
    assert tables.from_json(tables.to_json(COLUMNS)) == COLUMNS
    with pytest.raises(UserError, match="unique"):
        tables.check_columns([{"name": "a", "kind": "continuous"}, {"name": "a", "kind": "continuous"}])
    with pytest.raises(UserError, match="lists no categories"):
        tables.check_columns([{"name": "a", "kind": "discrete"}])
    with pytest.raises(UserError, match="kind must be"):
        tables.check_columns([{"name": "a", "kind": "ordinal"}])
    with pytest.raises(UserError, match="not valid JSON"):
        tables.from_json("{not json")
