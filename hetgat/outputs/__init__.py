"""Safe outputs: nothing half-written, nothing of the user's lost.

The rules, in one place:

- A file appears complete under its name or not at all (:func:`atomic_path`); temporaries that
  a killed process left beside it are removed by the next write of the same file.
- A folder is built as ``<out>.partial`` and renamed when complete (:func:`staged_dir`), under an
  advisory lock (:func:`folder_lock`), so that two processes never build the same folder.
- ``overwrite`` replaces only a folder that hetgat wrote and that holds nothing else
  (:func:`check_replaceable`); a ``.partial`` folder is removed only when it is hetgat's own,
  stale and not resumable. A folder that holds the current folder or an input is never replaced.
- An output file never replaces a file that exists unless asked, and never one that is
  protected (a run folder's own files, the inputs): :func:`check_output_file`.
"""

from hetgat.outputs.atomic import atomic_path, check_output_file, write_json
from hetgat.outputs.folders import (
    CHECKPOINT,
    check_folder_path,
    check_out_folder,
    check_replaceable,
    folder_kind,
    folder_lock,
    has_checkpoint,
    partial_dir,
    staged_dir,
)
from hetgat.outputs.tables import FORMATS, check_table_format, write_table

__all__ = [
    "CHECKPOINT",
    "FORMATS",
    "atomic_path",
    "check_folder_path",
    "check_out_folder",
    "check_output_file",
    "check_replaceable",
    "check_table_format",
    "folder_kind",
    "folder_lock",
    "has_checkpoint",
    "partial_dir",
    "staged_dir",
    "write_json",
    "write_table",
]
