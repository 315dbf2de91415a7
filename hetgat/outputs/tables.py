"""Tables written in chunks: CSV, gzip CSV or Parquet, atomically, or CSV to stdout.

Frames are written one after the other, so a table of tens of millions of rows never sits in
memory at once; gzip output is byte-identical from run to run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from hetgat.errors import ConfigError, HetgatError
from hetgat.outputs.atomic import atomic_path

#: Table formats by file-name ending: CSV, gzip CSV, Parquet (needs pyarrow).
FORMATS = ("csv", "csv.gz", "parquet")


def check_table_format(fmt: str, name: str = "attention_format") -> None:
    """Refuse an unknown format, or Parquet without pyarrow, before any work is done."""
    if fmt not in FORMATS:
        raise ConfigError(name, fmt, " or ".join(FORMATS))
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise HetgatError("writing Parquet needs pyarrow: pip install pyarrow") from None


def write_table(
    frames: Iterable[pd.DataFrame], path: str | Path, columns: list[str] | None = None
) -> int:
    """Write frames to ``path`` atomically; CSV, gzip CSV (``.gz``) or Parquet (``.parquet``);
    ``"-"`` writes CSV to stdout.

    The header is the first frame's; with no frame at all, ``columns`` (when given). Returns the
    number of rows written.
    """
    if str(path) == "-":
        return _write_stdout(frames)
    path = Path(path)
    rows = 0
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            rows = _write_parquet(frames, tmp)
        else:
            compression = "gzip" if path.suffix == ".gz" else None
            opened = _open_text(tmp, compression)
            with opened as fh:
                header = True
                for frame in frames:
                    frame.to_csv(fh, header=header, index=False, float_format="%.7g")
                    header = False
                    rows += len(frame)
                if header and columns:
                    fh.write(",".join(columns) + "\n")
    return rows


def _write_stdout(frames: Iterable[pd.DataFrame]) -> int:
    import sys

    rows, header = 0, True
    for frame in frames:
        frame.to_csv(sys.stdout, header=header, index=False, float_format="%.7g")
        header = False
        rows += len(frame)
    return rows


def _open_text(path: Path, compression: str | None):
    if compression == "gzip":
        import gzip
        import io

        # mtime=0 keeps the bytes identical from run to run.
        raw = gzip.GzipFile(path, "wb", mtime=0)
        return io.TextIOWrapper(raw, encoding="utf-8", newline="")
    return open(path, "w", newline="", encoding="utf-8")


def _write_parquet(frames: Iterable[pd.DataFrame], path: Path) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise HetgatError("writing Parquet needs pyarrow: pip install pyarrow") from exc
    writer, rows = None, 0
    try:
        for frame in frames:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
            rows += len(frame)
    finally:
        if writer is not None:
            writer.close()
    return rows
