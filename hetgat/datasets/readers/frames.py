"""A pandas DataFrame read as a CSV file is read: :class:`FrameTable`.

:func:`hetgat.datasets.frames.from_pandas` hands the user's frames to the same builder as the
CSV reader, through the same :class:`~hetgat.datasets.readers.csv.Table` interface, so every
rule and every check is the same; an error names the frame (``edges``, ``nodes['paper']``), the
row's index label and the column instead of the file, line and column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hetgat.datasets.readers.csv import Table
from hetgat.errors import ConfigError, DataFormatError


class FrameTable(Table):
    """A DataFrame behind :class:`~hetgat.datasets.readers.csv.Table`'s interface.

    Cells are read as the CSV reader reads them: as text (``str`` of the value; missing values
    ``None``/``NaN`` are empty cells, a list or array cell becomes ``"a,b,c"``), except numeric
    feature columns, which stay numbers.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data; its index labels name the rows in messages (positions, from 0, where the
        labels are not unique).
    name : str
        How messages name it (``"edges"``, ``"nodes['paper']"``).
    """

    def __init__(self, frame, name: str) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise ConfigError(name, type(frame).__name__, "a pandas DataFrame")
        self.path, self.notes, self.unnamed = name, [], "first"
        self.header_line = None
        self.columns = [str(c).strip() for c in frame.columns]
        seen = set()
        for column in self.columns:
            if column in seen:
                raise self.error("column name repeated", column=column)
            seen.add(column)
        if not len(frame):
            raise DataFormatError(name, "no rows")
        self._source = frame
        # Rows are named by their index label; by position where the labels repeat.
        self._labels = frame.index.to_numpy() if frame.index.is_unique else np.arange(len(frame))
        self._text: dict[str, np.ndarray] = {}
        self.frame = pd.DataFrame()

    def at(self, row=None) -> dict:
        if row is None:
            return {}
        label = self._labels[int(row)]
        return {"row": label.item() if isinstance(label, np.generic) else label}

    def place(self, row) -> str:
        return f"row {self.at(row)['row']!r}"

    def lines(self, rows) -> list:
        return [self.at(r)["row"] for r in rows]

    def read(self, float_columns=()) -> pd.DataFrame:
        columns = {}
        for position, name in enumerate(self.columns):
            cells = self._source.iloc[:, position]
            numeric = pd.api.types.is_numeric_dtype(cells) and not pd.api.types.is_complex_dtype(
                cells
            )
            if name in float_columns and numeric:
                columns[name] = cells.to_numpy(dtype=np.float64)
            else:
                columns[name] = self._as_text(name, cells)
        self.frame = pd.DataFrame(columns)
        return self.frame

    def _as_text(self, name: str, cells: pd.Series) -> np.ndarray:
        """The cells of a column as ``str``, as a CSV file would hold them."""
        if name not in self._text:
            kind = pd.api.types.infer_dtype(cells, skipna=False)
            if kind == "string":  # the usual case, and a fast one
                text = cells.to_numpy(dtype=object)
                text[pd.isna(text)] = ""
            elif kind == "integer":
                text = cells.astype(str).to_numpy(dtype=object)
            else:
                text = np.array([_cell(v) for v in cells.to_numpy(dtype=object)], dtype=object)
            self._text[name] = text
        return self._text[name]

    def strings(self, column: str) -> np.ndarray:
        position = self.columns.index(column)
        return self._as_text(column, self._source.iloc[:, position])


def _cell(value) -> str:
    """A cell as text: ``""`` for a missing value, ``"a,b"`` for a list."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return ",".join(_cell(v) for v in np.asarray(value, dtype=object).ravel())
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        value = value.item()
    return str(value)
