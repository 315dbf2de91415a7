"""Exceptions raised by hetgat.

Every error a user can fix is a :class:`HetgatError`. The CLI turns it into one
``Error: ...`` line and exit code 2; library callers catch it like any exception.
"""

from __future__ import annotations

from pathlib import Path

#: The most characters of a value an error message echoes (a 50 MB id stays one short line).
SHOWN_CHARS = 120


def shown(value: object) -> str:
    """``repr(value)``, cut after :data:`SHOWN_CHARS` characters with the full length said."""
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}… ({len(text):,} characters)"


class HetgatError(Exception):
    """Base class of the errors a user can fix (bad input, bad option, missing file).

    Messages speak in the library's parameter names. A parameter named inside a message is
    written between backticks (`` `overwrite` ``) and listed in ``params``, so that the command
    line can show the flag the user typed instead (:mod:`hetgat.cli.boundary`, one table).

    Parameters
    ----------
    message : str
        What is wrong and, where it helps, what to do.
    params : tuple of str, optional
        The parameter names written in ``message`` between backticks.
    """

    def __init__(self, *args, params: tuple[str, ...] = ()) -> None:
        super().__init__(*args)
        self.params = tuple(params)


class DataNotFoundError(HetgatError):
    """A data file is missing; the message says which file and where it was looked for."""


class ConfigError(HetgatError):
    """An option or configuration value is out of range or inconsistent.

    Parameters
    ----------
    name : str
        The parameter name, e.g. ``"num_heads"`` (the CLI shows its flag, ``--heads``).
    value : object
        The value received.
    expected : str
        What would have been accepted; other parameters it names are written between
        backticks and listed in ``params``.
    params : tuple of str, optional
        Those other parameters.
    """

    def __init__(
        self, name: str, value: object, expected: str, params: tuple[str, ...] = ()
    ) -> None:
        self.name, self.value, self.expected = name, value, expected
        super().__init__(f"{name}: expected {expected}, got {shown(value)}", params=(name, *params))


class GraphDataError(HetgatError):
    """A :class:`~hetgat.data.GraphData` field does not hold together with the graph.

    Parameters
    ----------
    field : str
        The field, e.g. ``"features"`` or ``"train_mask"``.
    message : str
        What is wrong, in words.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"GraphData.{field}: {message}")


class DataFormatError(HetgatError):
    """A data file does not have the expected content.

    Parameters
    ----------
    path : str or Path
        The file.
    message : str
        What is wrong, in words.
    line : int, optional
        The line as an editor counts it (the header is line 1).
    row : object, optional
        For data given as a pandas DataFrame: the row's index label.
    column : str or int, optional
        The column name or number.
    value : object, optional
        The offending value, shown with ``repr`` so blanks and odd characters are visible.
    """

    def __init__(
        self,
        path: str | Path,
        message: str,
        *,
        line: int | None = None,
        row: object = None,
        column: str | int | None = None,
        value: object = None,
        params: tuple[str, ...] = (),
    ) -> None:
        self.path, self.line, self.column, self.value = str(path), line, column, value
        self.row, self.reason = row, message
        where = self.path
        if line is not None:
            where += f", line {line}"
        if row is not None:
            where += f", row {shown(row) if isinstance(row, str) else row}"
        if column is not None:
            where += f", column {shown(column) if isinstance(column, str) else column}"
        text = f"{where}: {message}"
        if value is not None:
            text += f" (got {shown(value)})"
        super().__init__(text, params=params)
