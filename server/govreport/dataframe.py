"""The run's tables as pandas DataFrames, and ``extract --out NAME.parquet`` (``govreport[pandas]``).

    frame = govreport.to_dataframe(outcomes)   # or a list of Extraction messages

One row per report, in input order, with the columns of the export's
``reports`` table, typed: counts and years as ``Int64``, amounts as
``Float64``, text as ``string``, missing values as ``<NA>``. A cell that is no
plain number ("/", prose) is ``<NA>`` in its column and written, with its
header, in ``raw``. pandas (and pyarrow, for Parquet) is imported only here,
so ``import govreport`` never needs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from govreport.batch import Outcome
from govreport.export import Kind, Table, as_outcomes, companion, typed_tables
from govreport.v1 import service_pb2

INSTALL = "pip install 'govreport[pandas]'"
_DTYPES = {Kind.TEXT: "string", Kind.INT: "Int64", Kind.FLOAT: "Float64"}


def require(*, parquet: bool = False) -> Any:
    """pandas (and pyarrow with ``parquet``), or an ImportError saying how to install them."""
    try:
        import pandas  # type: ignore[import-untyped]

        if parquet:
            import pyarrow  # type: ignore[import-untyped]  # noqa: F401
    except ImportError as err:
        what = "Parquet output" if parquet else "govreport.to_dataframe"
        raise ImportError(f"{what} needs pandas and pyarrow: {INSTALL}") from err
    return pandas


def to_dataframe(results: Iterable[Outcome | service_pb2.Extraction]) -> Any:
    """One typed row per report (see the module's docstring); ``results`` are the outcomes of
    a batch (``govreport extract --out``'s), or Extraction messages."""
    pandas = require()
    tables = typed_tables(as_outcomes(results), by_version=False)
    return _frame(pandas, tables[0])


def frames(results: Iterable[Outcome | service_pb2.Extraction]) -> dict[str, Any]:
    """``reports`` (as to_dataframe), ``cells`` and ``findings`` as DataFrames."""
    pandas = require()
    tables = typed_tables(as_outcomes(results), by_version=False)
    return {table.name: _frame(pandas, table) for table in tables}


def _frame(pandas: Any, table: Table) -> Any:
    data = {}
    for column in table.columns:
        values = [row.get(column.name) for row in table.rows]
        dtype = _DTYPES[column.kind]
        if column.kind is Kind.INT and any(isinstance(v, float) for v in values):
            dtype = _DTYPES[Kind.FLOAT]  # a decimal where a count was expected: kept, not cut
        data[column.name] = pandas.array(values, dtype=dtype)
    return pandas.DataFrame(data, columns=[column.name for column in table.columns])


def write_parquet(outcomes: Sequence[Outcome], out: Path) -> list[Path]:
    """``NAME.parquet`` (the reports), ``NAME.cells.parquet``, ``NAME.findings.parquet``."""
    require(parquet=True)
    written: list[Path] = []
    for name, frame in frames(outcomes).items():
        path = companion(out, name)
        frame.to_parquet(path, engine="pyarrow", index=False)
        written.append(path)
    return written


__all__ = ["INSTALL", "frames", "require", "to_dataframe", "write_parquet"]
