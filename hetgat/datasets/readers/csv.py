"""Reading user CSV files: bytes → checked UTF-8 text → a pandas table that knows its editor lines.

Every problem ends as one :class:`~hetgat.errors.DataFormatError` naming the file, the line as an
editor counts it (the header is line 1 when the file starts with it), the column and the value.
pandas' C parser does the reading (all cells as ``str``, ``na_filter=False``, so ``"NA"`` is an
id, not a missing value; numeric feature columns are parsed as ``float64`` directly, which is ten
times faster than converting strings). pandas does not know editor lines (it counts records, and a
quoted field may span lines), does not report rows with too few fields, and on the first data row
silently drops extra fields; the standard :mod:`csv` module, which reports physical lines, is used
for those checks and to find the line of a bad row, only when needed.

Longer than ~300 lines because :class:`Table` is one object over one file's bytes: its line map,
field-count checks and typed column reads share that state.
"""

from __future__ import annotations

import contextlib
import csv
import io
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from hetgat.errors import DataFormatError, DataNotFoundError, HetgatError

_BOM = b"\xef\xbb\xbf"
_MAGIC = {  # what a binary file probably is, to say so in the message
    b"PK\x03\x04": "a zip archive (an Excel .xlsx file?)",
    b"\x89PNG": "a PNG image",
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an Office document (an Excel .xls file?)",
    b"PAR1": "a Parquet file",
    b"\x93NUMPY": "a NumPy .npy file",
}
_EMPTY = "empty file (expected a header row, then data rows)"
_UNNAMED = "\0unnamed {}"  # internal name of a header cell left empty (cannot clash with a name)


#: The most bytes a compressed file may expand to, per compressed byte (text compresses 3-10x;
#: a "gzip bomb" thousands of times) and in all (beyond it the machine runs out of memory).
MAX_EXPANSION, MAX_BYTES = 1000, 64 << 30


def read_bytes(path: Path, what: str = "CSV file") -> bytes:
    """The file's bytes, gunzipped when compressed (detected from the content, not the name).

    Only regular files are read (``/dev/zero`` never ends); a gzip file that expands more than
    :data:`MAX_EXPANSION` times is refused before it fills the memory.
    """
    if not path.exists():
        raise DataNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise DataFormatError(path, f"is a folder, expected a {what}")
    if not path.is_file():
        raise DataFormatError(path, f"is not a regular file (a device or pipe), expected a {what}")
    try:
        raw = path.read_bytes()
    except MemoryError:
        raise DataFormatError(path, f"too large to read into memory, expected a {what}") from None
    except OSError as exc:
        raise HetgatError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(path, raw)
    elif path.suffix.lower() == ".gz":
        raise DataFormatError(path, "not gzip-compressed, although the name ends in .gz")
    return raw


def _gunzip(path: Path, raw: bytes) -> bytes:
    """``raw`` decompressed in pieces, refused once past the expansion limit."""
    limit = min(MAX_BYTES, max(len(raw) * MAX_EXPANSION, 1 << 20))
    stream = zlib.decompressobj(wbits=31)  # gzip framing
    parts, size = [], 0
    try:
        data = raw
        while data:
            piece = stream.decompress(data, 1 << 24)
            size += len(piece)
            if size > limit:
                raise DataFormatError(
                    path,
                    f"expands past {limit:,} bytes when decompressed ({len(raw):,} compressed): "
                    "not a gzip file hetgat reads (a gzip bomb?)",
                )
            parts.append(piece)
            data = stream.unconsumed_tail
            if not data and stream.eof and stream.unused_data[:2] == b"\x1f\x8b":
                data, stream = stream.unused_data, zlib.decompressobj(wbits=31)  # next member
        if not stream.eof:
            raise EOFError("compressed file ended before the end-of-stream marker")
    except (OSError, EOFError, zlib.error) as exc:
        raise DataFormatError(path, f"damaged gzip file ({exc})") from exc
    return b"".join(parts)


def check_text(path: Path, raw: bytes, kind: str = "CSV", empty: str = _EMPTY) -> bytes:
    """``raw`` without a UTF-8 BOM, after checking that it is UTF-8 text and not empty."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataFormatError(path, f"not a text {kind} file: UTF-16 text (save it as UTF-8)")
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    nul = raw.find(b"\0")
    if nul >= 0:
        what = next((v for k, v in _MAGIC.items() if raw.startswith(k)), "binary data")
        raise DataFormatError(path, f"not a text {kind} file: {what}")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            path,
            f"not a text {kind} file: byte {raw[exc.start]:#04x} is not UTF-8 (save it as UTF-8)",
            line=_line_at(raw, exc.start),
        ) from None
    if not raw or raw.isspace():
        raise DataFormatError(path, empty)
    return raw


def _line_at(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


@contextlib.contextmanager
def _large_fields():
    """Let :mod:`csv` read fields of any size (a long ``feat`` list, an unclosed quote)."""
    old = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(old)


class Table:
    """One CSV file read with pandas: ``frame`` (data rows), ``columns`` and editor lines.

    Parameters
    ----------
    path : Path
        The file (``.gz`` compressed or not).
    sep : str, optional
        Field separator. Default: a tab for ``*.tsv[.gz]``; otherwise a comma, or a tab or
        semicolon when the header has one of those and no comma.
    unnamed : {"first", "all"}, default "first"
        Columns without a name in the header whose cells hold values, left out with a note:
        only the first (the index ``DataFrame.to_csv`` writes by default), or every one (DGL's
        CSVDataset ignores them all). A value in any other unnamed column is an error.
    """

    def __init__(self, path: Path, sep: str | None = None, unnamed: str = "first") -> None:
        self.path = Path(path)
        self.unnamed = unnamed
        self._raw = check_text(self.path, read_bytes(self.path))
        self.notes: list[str] = []
        self.sep = sep or self._guess_sep()
        records = self._records()
        try:
            head = next(records, None)  # None: only blank or whitespace lines
            first = next(records, None)
        finally:
            records.close()
        if head is None:
            raise DataFormatError(self.path, _EMPTY)
        self.header_line, header = head
        if first is None:
            raise DataFormatError(self.path, "no data rows after the header", line=self.header_line)
        self.columns = [name.strip() for name in header]
        self._names = [n or _UNNAMED.format(i) for i, n in enumerate(self.columns)]
        repeated, seen = None, set()
        for name in self.columns:  # a set: headers of 100,000 columns stay linear
            if name and name in seen:
                repeated = name
                break
            seen.add(name)
        if repeated is not None:
            raise self.error("column name repeated in the header", column=repeated)
        if len(first[1]) != len(header):
            self._raise_field_count(first[0], len(first[1]))
        self.frame = pd.DataFrame()

    def _guess_sep(self) -> str:
        name = self.path.name.lower().removesuffix(".gz")
        if name.endswith(".tsv"):
            return "\t"
        head = self._raw[:65536].lstrip(b"\r\n \t").split(b"\n", 1)[0]
        for sep in (b",", b"\t", b";"):
            if sep in head:
                if sep != b",":
                    self.notes.append(f"{self.path}: read as {sep.decode()!r}-separated")
                return sep.decode()
        return ","

    def _records(self):
        """``(editor line, fields)`` of every record that pandas does not skip as blank."""
        text = io.TextIOWrapper(io.BytesIO(self._raw), encoding="utf-8", newline="")
        reader = csv.reader(text, delimiter=self.sep)
        with _large_fields():
            end = 0
            for fields in reader:
                start, end = end + 1, reader.line_num
                if not fields or (len(fields) == 1 and fields[0] and not fields[0].strip(" \t")):
                    continue  # pandas skips empty and whitespace-only lines
                yield start, fields

    def lines(self, rows) -> list[int]:
        """Editor lines of data rows (0-based positions in :attr:`frame`)."""
        rows = [int(r) for r in rows]
        wanted, found = set(rows), {}
        for k, (line, _) in enumerate(self._records()):
            if k - 1 in wanted:
                found[k - 1] = line
                if len(found) == len(wanted):
                    break
        return [found.get(r) for r in rows]

    def line(self, row: int) -> int | None:
        return self.lines([row])[0]

    def at(self, row=None) -> dict:
        """Where data row ``row`` is (the header when None), as DataFormatError's keywords."""
        return {"line": self.header_line if row is None else self.line(row)}

    def place(self, row) -> str:
        """Data row ``row`` in words: ``line 7``."""
        return f"line {self.line(row)}"

    def error(self, message: str, row=None, column=None, value=None) -> DataFormatError:
        """A DataFormatError at data row ``row`` (or at the header when ``row`` is None)."""
        return DataFormatError(self.path, message, column=column, value=value, **self.at(row))

    def _raise_field_count(self, line: int, count: int) -> None:
        expected = len(self.columns)
        hint = " (quote values that hold the separator)" if count > expected else ""
        fields = "field" if count == 1 else "fields"
        message = f"{count} {fields}, but the header has {expected}{hint}"
        raise DataFormatError(self.path, message, line=line)

    def _check_field_counts(self, rows=None) -> None:
        """Raise for the first data row (among ``rows``) whose field count differs."""
        last = None if rows is None else int(max(rows))
        wanted = None if rows is None else set(int(r) for r in rows)
        for k, (line, fields) in enumerate(self._records()):
            if k and (wanted is None or k - 1 in wanted) and len(fields) != len(self.columns):
                self._raise_field_count(line, len(fields))
            if last is not None and k - 1 >= last:
                break

    def _pandas(self, dtype: dict) -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.read_csv(
                io.BytesIO(self._raw),
                sep=self.sep,
                header=0,
                names=self._names,
                dtype=dtype,
                na_filter=False,
                keep_default_na=False,
                index_col=False,
                engine="c",
                encoding="utf-8",
                skip_blank_lines=True,
            )

    def read(self, float_columns=()) -> pd.DataFrame:
        """Parse the data rows; ``float_columns`` are tried as numbers (fallback: ``str``)."""
        as_text = dict.fromkeys(self._names, str)
        try:
            try:
                frame = self._pandas({**as_text, **dict.fromkeys(float_columns, np.float64)})
            except (ValueError, TypeError, OverflowError) as exc:
                if isinstance(exc, pd.errors.ParserError) or not float_columns:
                    raise
                frame = self._pandas(as_text)  # a bad number: read as text, report it later
        except pd.errors.ParserError as exc:
            self._parser_error(exc)
        except (ValueError, TypeError, OverflowError, MemoryError) as exc:
            raise DataFormatError(self.path, f"cannot parse as CSV ({exc})") from exc
        last = frame.iloc[:, -1]
        if last.dtype != np.float64:  # a row with too few fields reads as "" at the end
            short = np.flatnonzero(last.to_numpy() == "")
            if len(short):
                self._check_field_counts(short)
        for i, name in enumerate(self._names):
            if not self.columns[i]:
                values = frame[name].to_numpy()
                filled = np.flatnonzero(values != "")
                if len(filled) and not (self.unnamed == "all" or i == 0):
                    message = "a value in a column without a name in the header"
                    raise self.error(message, row=filled[0], column=i + 1, value=values[filled[0]])
                what = "empty and unnamed" if not len(filled) else "unnamed"
                what += " (an index written by pandas?)" if len(filled) and i == 0 else ""
                self.notes.append(f"{self.path}: ignored column {i + 1}, {what}")
                frame = frame.drop(columns=name)
        self.columns = [c for c in self.columns if c]
        self.frame = frame
        return frame

    def _parser_error(self, exc: Exception) -> None:
        text = str(exc)
        if "EOF inside string" in text:
            line = None
            for record in self._records():
                line = record[0]
            message = "a quoted field is not closed (a '\"' opens it, the file ends first)"
            raise DataFormatError(self.path, message, line=line) from None
        self._check_field_counts()
        raise DataFormatError(self.path, f"cannot parse as CSV ({text.strip()})") from exc

    def strings(self, column: str) -> np.ndarray:
        """A column's cells as an object array of ``str`` (exactly as written)."""
        values = self.frame[column]
        if values.dtype == np.float64:
            values = self._pandas(dict.fromkeys(self._names, str))[column]
        return values.to_numpy(dtype=object)

    def nonempty(self, column: str, what: str) -> np.ndarray:
        """``strings(column)``, raising at the first blank cell (empty or only blanks)."""
        values = self.strings(column)
        blank = np.flatnonzero(pd.Series(values, dtype=object).str.strip().to_numpy() == "")
        if len(blank):
            raise self.error(f"empty {what}", row=blank[0], column=column, value=values[blank[0]])
        return values

    def require(self, columns: tuple[str, ...]) -> None:
        """Raise at the header unless every one of ``columns`` is there."""
        missing = [c for c in columns if c not in self.columns]
        if missing:
            found = ", ".join(map(repr, self.columns))
            what = "column" if len(missing) == 1 else "columns"
            raise self.error(f"missing {what} {', '.join(map(repr, missing))} (found: {found})")

    def names(self, column: str, what: str) -> np.ndarray:
        """A column of type or relation names, stripped of surrounding blanks, none empty."""
        codes, uniques = pd.factorize(self.strings(column))  # few distinct names: strip those
        names = pd.Series(uniques, dtype=object).str.strip().to_numpy(dtype=object)
        blank = np.flatnonzero(np.isin(codes, np.flatnonzero(names == "")))
        if len(blank):
            value = uniques[codes[blank[0]]]
            raise self.error(f"empty {what}", row=blank[0], column=column, value=value)
        return names[codes]

    def check_unique(self, ids: np.ndarray, rows: np.ndarray, column: str) -> None:
        """Raise at the second row of the first id that occurs twice (naming the first)."""
        repeated = pd.Index(ids).duplicated()
        if repeated.any():
            j = int(np.flatnonzero(repeated)[0])
            i = int(np.flatnonzero(ids == ids[j])[0])
            message = f"duplicate node id (also on {self.place(rows[i])})"
            raise self.error(message, row=rows[j], column=column, value=ids[j])

    def numbers(self, columns: list[str], rows: np.ndarray) -> np.ndarray:
        """The cells of ``columns`` at ``rows`` as ``(len(rows), len(columns))`` float32.

        Every cell must be a finite number; the first bad one (by row, then column) is reported.
        """
        block = self.frame[columns].iloc[rows]
        if all(block[c].dtype == np.float64 for c in columns):
            values = block.to_numpy(dtype=np.float64)
        else:
            values = np.column_stack(
                [pd.to_numeric(block[c], errors="coerce").to_numpy(np.float64) for c in columns]
            )
        with np.errstate(over="ignore"):
            out = values.astype(np.float32)
        bad = ~np.isfinite(out)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            text = self.strings(columns[c])[rows[r]]
            raise self.error(_number_problem(text), row=rows[r], column=columns[c], value=text)
        return out

    def number_lists(self, column: str, rows: np.ndarray) -> np.ndarray:
        """List cells (``"0.1, 0.2"``, ``"[0.1,0.2]"``) at ``rows``: ``(len(rows), D)`` float32."""
        cells = pd.Series(self.strings(column)[rows], dtype=object).str.strip()
        inner = cells.str.removeprefix("[").str.removesuffix("]")
        sizes = (inner.str.count(",") + 1).to_numpy()
        odd = np.flatnonzero(sizes != sizes[0])
        if len(odd):
            message = f"a list of {sizes[odd[0]]} numbers, but {self.place(rows[0])} has {sizes[0]}"
            raise self.error(message, row=rows[odd[0]], column=column, value=cells.iloc[odd[0]])
        joined = ",".join(inner.tolist())
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                flat = np.fromstring(joined, dtype=np.float64, sep=",")  # fast, strict
        except (ValueError, DeprecationWarning):
            flat = np.empty(0)
        if flat.size != len(rows) * sizes[0]:
            parts = np.array(joined.split(","), dtype=object)
            flat = pd.to_numeric(pd.Series(parts).str.strip(), errors="coerce").to_numpy(float)
        with np.errstate(over="ignore"):
            out = flat.astype(np.float32).reshape(len(rows), sizes[0])
        bad = np.flatnonzero(~np.isfinite(out).all(axis=1))
        if len(bad):
            k = bad[0]
            j = int(np.flatnonzero(~np.isfinite(out[k]))[0])
            text = inner.iloc[k].split(",")[j].strip()
            message = f"list element {j + 1}: " + _number_problem(text)
            raise self.error(message, row=rows[k], column=column, value=text)
        return out


def _number_problem(text: str) -> str:
    """Why ``text`` is not a usable feature value."""
    text = text.strip()
    if not text:
        return "missing feature value"
    try:
        value = float(text)
    except ValueError:
        return "not a number"
    if np.isnan(value):
        return "NaN is not a valid feature value"
    if np.isinf(value):
        return "infinite feature value"
    return "feature value too large for float32"
