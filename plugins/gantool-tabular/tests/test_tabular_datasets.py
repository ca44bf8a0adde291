"""csv:PATH and sklearn:NAME: columns, splits, and one-line errors that name the plugin."""

from __future__ import annotations

import numpy as np
import pytest

from gantool.core.errors import UserError
from gantool.specs import DataRequest
from gantool_tabular.datasets import load_csv, load_sklearn


def test_csv_reads_columns_and_text_categories(iris_csv):
    data = load_csv(str(iris_csv), DataRequest(split="all"))
    assert data.kind == "table" and data.x.shape == (150, 5)
    kinds = [c["kind"] for c in data.columns]
    assert kinds == ["continuous"] * 4 + ["discrete"]
    assert data.columns[4]["categories"] == ["setosa", "versicolor", "virginica"]
    assert np.bincount(data.x[:, 4].astype(int)).tolist() == [50, 50, 50]
    assert data.x[0, 0] == pytest.approx(5.1)


def test_numeric_columns_become_discrete_when_named(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n" + "".join(f"{i * 0.5},{i % 3}\n" for i in range(20)))
    auto = load_csv(str(path), DataRequest(split="all"))
    assert [c["kind"] for c in auto.columns] == ["continuous", "continuous"]
    named = load_csv(str(path), DataRequest(split="all", options={"discrete": "b"}))
    assert named.columns[1] == {"name": "b", "kind": "discrete", "categories": ["0", "1", "2"]}


def test_train_and_test_splits_partition_the_rows(iris_csv):
    train = load_csv(str(iris_csv), DataRequest(split="train")).x
    test = load_csv(str(iris_csv), DataRequest(split="test")).x
    assert len(train) == 120 and len(test) == 30
    whole = {tuple(r) for r in load_csv(str(iris_csv), DataRequest(split="all")).x}
    assert {tuple(r) for r in train} | {tuple(r) for r in test} == whole


def test_sklearn_tables():
    data = load_sklearn("breast-cancer", DataRequest(split="all"))
    assert data.x.shape == (569, 31) and data.columns[-1]["categories"] == ["malignant", "benign"]
    with pytest.raises(UserError, match="gantool-tabular: sklearn datasets are"):
        load_sklearn("titanic", DataRequest())


@pytest.mark.parametrize("text, options, message", [
    ("a,b\n" + "1,2\n" * 5 + "3,\n" + "1,2\n" * 5, {}, "column 'b' of .* has missing values \\(lines 7\\)"),
    ("a,b\n" + "1,2\n" * 5 + "x,2\n" + "1,2\n" * 5, {"discrete": "b"}, "column 'a' .* is continuous but line 7 holds 'x'"),
    ("a,b\n1,2\n", {}, ".* has 1 data row\\(s\\); a GAN needs a table of at least 10"),
    ("a,b\n" + "1,2\n" * 12, {"discrete": "c"}, "--discrete names c, not columns"),
    ("", {}, ".* is empty"),
])
def test_bad_tables_are_one_clear_error(tmp_path, text, options, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(UserError, match=f"^gantool-tabular: {message}"):
        load_csv(str(path), DataRequest(options=options))


def test_an_excel_csv_is_read_and_says_its_encoding(tmp_path):
    from gantool import DataRequest
    from gantool_tabular.datasets import load_csv

    rows = "".join(f"caf\xe9 {i % 3},{i}.5\n" for i in range(30))
    (tmp_path / "excel.csv").write_bytes(("name,value\n" + rows).encode("cp1252"))
    data = load_csv(str(tmp_path / "excel.csv"), DataRequest(split="all"))
    assert data.columns[0]["categories"] == ["café 0", "café 1", "café 2"]
    assert "read as cp1252" in data.description
    forced = load_csv(str(tmp_path / "excel.csv"), DataRequest(split="all", options={"encoding": "latin-1"}))
    assert "read as latin-1" in forced.description
