"""Where named datasets are looked for."""

from __future__ import annotations

import os
from pathlib import Path


def data_folders(source: str, data_dir=None) -> list[Path]:
    """Folders to look in for ``source``'s files, in order.

    ``data_dir`` and its ``<source>/`` subfolder when given (so both the shared data root and
    the source's own folder work); else ``$HETGAT_DATA/<source>`` when that is set; else
    ``~/.hetgat/data/<source>``.
    """
    if data_dir is not None:
        folders = [Path(data_dir), Path(data_dir) / source]
    elif os.environ.get("HETGAT_DATA"):
        folders = [Path(os.environ["HETGAT_DATA"]) / source]
    else:
        folders = [Path.home() / ".hetgat" / "data" / source]
    return [f.expanduser() for f in folders]
