"""Reading HGB's text files (``info.dat``, ``node.dat``, ``link.dat``, ``label.dat``) out of
the original zip: arrays and tensors, with errors naming ``<zip>:<member>``, the line (as an
editor counts it) and the column (1-based). Finding the zip and the split protocol are
:mod:`hetgat.datasets.hgb`'s.

Longer than ~300 lines because HGB's files are one format: they share the archive reader, the
node table (global ids, per-type features) and the error helpers, which split modules would
have to import from each other."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from hetgat.errors import DataFormatError
from hetgat.sparse.csr import sparse_csr
from hetgat.sparse.hetero import HeteroGraph

logger = logging.getLogger("hetgat.datasets.hgb")

SPARSE_DENSITY = 0.10  # features with fewer non-zeros than this share are stored sparse CSR
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


class Archive:
    """The members of an HGB zip by file name (``node.dat``), skipping macOS junk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataFormatError(path, f"not a readable zip file ({exc})") from exc
        self._members: dict[str, str] = {}
        for info in self._zip.infolist():
            parts = info.filename.split("/")
            junk = parts[0] == "__MACOSX" or parts[-1] == ".DS_Store" or parts[-1].startswith("._")
            if info.is_dir() or junk:
                continue
            if parts[-1] in self._members:
                raise DataFormatError(
                    path, f"holds two {parts[-1]}: {self._members[parts[-1]]}, {info.filename}"
                )
            self._members[parts[-1]] = info.filename

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self._zip.close()

    def where(self, filename: str) -> str:
        """``<zip>:<member>``, the path used in error messages."""
        if filename not in self._members:
            raise DataFormatError(self.path, f"has no {filename}")
        return f"{self.path}:{self._members[filename]}"

    def read_text(self, filename: str) -> str:
        where = self.where(filename)
        try:
            return self._zip.read(self._members[filename]).decode("utf-8")
        except READ_ERRORS as exc:
            raise DataFormatError(where, f"cannot read ({exc})") from exc
        except UnicodeDecodeError as exc:
            raise DataFormatError(where, f"not UTF-8 text ({exc})") from exc

    def read_table(self, filename: str, columns: list[str]) -> pd.DataFrame:
        """Read a tab-separated member as strings; the index is the line number."""
        where = self.where(filename)
        try:
            with self._zip.open(self._members[filename]) as f:
                table = pd.read_csv(
                    f,
                    sep="\t",
                    header=None,
                    names=columns,
                    index_col=False,  # with `names`: a line with more fields is an error
                    dtype=object,
                    na_filter=False,
                    quoting=csv.QUOTE_NONE,  # ACM abstracts contain unbalanced quotes
                    skip_blank_lines=False,  # keeps row i on line i + 1
                    encoding="utf-8",
                    engine="c",
                )
        except pd.errors.ParserError as exc:
            found = re.search(r"line (\d+)", str(exc))
            raise DataFormatError(
                where,
                f"expected at most {len(columns)} tab-separated fields ({str(exc).strip()})",
                line=int(found.group(1)) if found else None,
            ) from exc
        except READ_ERRORS as exc:
            raise DataFormatError(where, f"cannot read ({exc})") from exc
        except UnicodeDecodeError as exc:
            raise DataFormatError(where, f"not UTF-8 text ({exc})") from exc
        table.index = np.arange(1, len(table) + 1)
        return table[(table != "").any(axis=1)]  # blank lines


def _ints(column: pd.Series, where: str, number: int) -> np.ndarray:
    """A column of integer strings as int64; the first bad value is reported with its line."""
    try:
        return column.to_numpy().astype(np.int64)
    except (ValueError, OverflowError):
        for line, value in column.items():
            try:
                int(value)
            except (ValueError, OverflowError):
                raise DataFormatError(
                    where, "expected an integer", line=int(line), column=number, value=value
                ) from None
        raise


class Info:
    """``info.dat``: node type names, link types and class names, keyed by their integer codes."""

    def __init__(self, archive: Archive) -> None:
        self.where = where = archive.where("info.dat")
        try:
            info = json.loads(archive.read_text("info.dat"))
        except json.JSONDecodeError as exc:
            raise DataFormatError(
                where, f"not valid JSON ({exc.msg})", line=exc.lineno, column=exc.colno
            ) from exc
        types = self._section(info, "node.dat", "node type")
        self.type_names = {self._code(k): str(v) for k, v in types.items()}
        if len(set(self.type_names.values())) != len(self.type_names):
            raise DataFormatError(where, "repeated node type names", value=types)
        self.link_types: dict[int, tuple[int, str, int]] = {}
        for key, link in self._section(info, "link.dat", "link type").items():
            try:
                start, end = self._code(link["start"]), self._code(link["end"])
                meaning = str(link["meaning"])
            except (KeyError, TypeError):
                raise DataFormatError(
                    where, f"link type {key} needs start, end and meaning", value=link
                ) from None
            if start not in self.type_names or end not in self.type_names:
                raise DataFormatError(where, f"link type {key}: unknown node type", value=link)
            self.link_types[self._code(key)] = (start, meaning, end)
        etypes = [self.canonical(k) for k in self.link_types]
        if len(set(etypes)) != len(etypes):
            raise DataFormatError(where, "two link types have the same start, meaning and end")
        labels = info.get("label.dat", {}).get("node type", {}) if isinstance(info, dict) else {}
        self.class_names = {self._code(t): names for t, names in labels.items()}

    def canonical(self, link_type: int) -> tuple[str, str, str]:
        start, meaning, end = self.link_types[link_type]
        return self.type_names[start], meaning, self.type_names[end]

    def _section(self, info: object, *keys: str) -> dict:
        for key in keys:
            if not isinstance(info, dict) or key not in info:
                raise DataFormatError(self.where, f"has no {' → '.join(map(repr, keys))} section")
            info = info[key]
        if not isinstance(info, dict) or not info:
            raise DataFormatError(self.where, f"{' → '.join(map(repr, keys))} is empty")
        return info

    def _code(self, value: object) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise DataFormatError(
                self.where, "expected an integer type code", value=value
            ) from None


class Nodes:
    """``node.dat``: global ids → (type, index in type), and the features of each type."""

    def __init__(self, archive: Archive, info: Info) -> None:
        where = archive.where("node.dat")
        table = archive.read_table("node.dat", ["id", "name", "type", "value"])
        gid, types = _ints(table["id"], where, 1), _ints(table["type"], where, 3)
        lines = table.index.to_numpy()
        unknown = ~np.isin(types, list(info.type_names))
        if unknown.any():
            i = int(np.argmax(unknown))
            known = ", ".join(f"{k} {v}" for k, v in info.type_names.items())
            raise DataFormatError(
                where, f"node type not in info.dat ({known})", line=int(lines[i]), column=3,
                value=int(types[i]),
            )  # fmt: skip
        order = np.argsort(gid, kind="stable")
        self.sorted_ids, self.type_of = gid[order], types[order]
        repeated = np.flatnonzero(self.sorted_ids[1:] == self.sorted_ids[:-1])
        if len(repeated):
            i = order[repeated[0] + 1]
            raise DataFormatError(
                where, "repeated node id", line=int(lines[i]), column=1, value=int(gid[i])
            )
        self.index_of = np.zeros(len(gid), dtype=np.int64)
        self.ids, self.count, self.features = {}, {}, {}
        values, lines = table["value"].to_numpy()[order], lines[order]
        for t, type_name in info.type_names.items():
            mask = self.type_of == t
            self.index_of[mask] = np.arange(int(mask.sum()))
            self.ids[t], self.count[t] = self.sorted_ids[mask], int(mask.sum())
            feats = _features(values[mask], lines[mask], where)
            if feats is not None:
                self.features[type_name] = feats

    def locate(self, gid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Type code and index in type of each global id; type ``-1`` for unknown ids."""
        if not len(self.sorted_ids):
            return np.full(len(gid), -1), np.zeros(len(gid), dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.sorted_ids, gid), len(self.sorted_ids) - 1)
        found = self.sorted_ids[pos] == gid
        return np.where(found, self.type_of[pos], -1), np.where(found, self.index_of[pos], 0)


def _features(values: np.ndarray, lines: np.ndarray, where: str) -> torch.Tensor | None:
    """Comma-separated feature strings → ``(N, F)`` float32, sparse CSR below 10 % density."""
    empty = values == ""
    if empty.all():
        return None
    if empty.any():
        i = _first(empty, lines)
        raise DataFormatError(
            where, "no features, unlike other nodes of its type", line=int(lines[i]), column=4
        )
    counts = np.array([v.count(",") + 1 for v in values])
    sizes, times = np.unique(counts, return_counts=True)
    dim = sizes[np.argmax(times)]
    if len(sizes) > 1:
        i = _first(counts != dim, lines)
        raise DataFormatError(
            where, f"{counts[i]} features, but most nodes of its type have {dim}",
            line=int(lines[i]), column=4,
        )  # fmt: skip
    # pandas' C parser is the fastest float reader here (np.fromstring and str.split are 3-5x
    # slower): DBLP's 14,328 x 4,231 paper features take about 3 s.
    try:
        dense = pd.read_csv(
            io.StringIO("\n".join(values)), header=None, dtype=np.float32, low_memory=False
        ).to_numpy()
    except ValueError as exc:
        _raise_bad_value(values, lines, where, str(exc))
        raise DataFormatError(where, f"unreadable features ({exc})", column=4) from exc
    bad = np.isnan(dense)
    if bad.any():
        i = _first(bad.any(axis=1), lines)
        j = int(np.argmax(bad[i]))
        raise DataFormatError(
            where, f"feature {j + 1} is not a number", line=int(lines[i]), column=4,
            value=values[i].split(",")[j],
        )  # fmt: skip
    if np.count_nonzero(dense) >= SPARSE_DENSITY * dense.size:
        return torch.from_numpy(dense)
    csr = sp.csr_matrix(dense)
    crow, col = (torch.from_numpy(a.astype(np.int64)) for a in (csr.indptr, csr.indices))
    return sparse_csr(crow, col, torch.from_numpy(csr.data), csr.shape)


def _first(bad: np.ndarray, lines: np.ndarray) -> int:
    """The row of the first bad line in file order (rows are in id order)."""
    rows = np.flatnonzero(bad)
    return int(rows[np.argmin(lines[rows])])


def _raise_bad_value(values: np.ndarray, lines: np.ndarray, where: str, message: str) -> None:
    """Find the value pandas could not read (its message names it) and report its line."""
    found = re.search(r"could not convert string to float: '(.*)'", message)
    for i in np.argsort(lines):
        row = values[i]
        if found and found.group(1) not in row:
            continue
        for j, value in enumerate(row.split(",")):
            try:
                float(value)
            except ValueError:
                raise DataFormatError(
                    where, f"feature {j + 1} is not a number", line=int(lines[i]), column=4,
                    value=value,
                ) from None  # fmt: skip


def read_links(archive: Archive, info: Info, nodes: Nodes):
    """``link.dat`` → a graph of one relation per link type, edges sorted by (dst, src)."""
    where = archive.where("link.dat")
    table = archive.read_table("link.dat", ["src", "dst", "type", "weight"])
    lines = table.index.to_numpy()
    link = _ints(table["type"], where, 3)
    unknown = ~np.isin(link, list(info.link_types))
    if unknown.any():
        i = int(np.argmax(unknown))
        raise DataFormatError(
            where, "link type not in info.dat", line=int(lines[i]), column=3, value=int(link[i])
        )
    codes = np.array(sorted(info.link_types))
    ends = np.array([[info.link_types[k][0], info.link_types[k][2]] for k in codes])
    expected = ends[np.searchsorted(codes, link)]
    located = []
    for col, number in (("src", 1), ("dst", 2)):
        gid = _ints(table[col], where, number)
        got_type, index = nodes.locate(gid)
        bad = got_type != expected[:, number - 1]
        if bad.any():
            i = int(np.argmax(bad))
            start, meaning, end = info.canonical(int(link[i]))
            what = "not in node.dat" if got_type[i] < 0 else f"a {info.type_names[got_type[i]]}"
            raise DataFormatError(
                where, f"node {gid[i]} is {what}, but link type {link[i]} ({meaning}) goes "
                f"from {start} to {end}", line=int(lines[i]), column=number, value=int(gid[i]),
            )  # fmt: skip
        located.append(index)
    edges = {}
    for k in codes:
        in_type = link == k
        src, dst = located[0][in_type], located[1][in_type]
        n_src = max(nodes.count[info.link_types[k][0]], 1)
        code = np.unique(dst * n_src + src)  # sorted by dst, then src; exact duplicates gone
        if len(code) < len(src):
            logger.info(
                "%s: dropped %d repeated %r links", where, len(src) - len(code), info.canonical(k)
            )
        edges[info.canonical(k)] = (torch.from_numpy(code % n_src), torch.from_numpy(code // n_src))
    counts = {info.type_names[t]: n for t, n in nodes.count.items()}
    return HeteroGraph(edges, num_nodes_dict=counts)


def read_labels(archive: Archive, info: Info, nodes: Nodes):
    """``label.dat`` and ``label.dat.test`` → target type, pool, test ids, labels, class names."""
    if len(info.class_names) > 1:
        raise DataFormatError(info.where, "'label.dat' names classes for several node types")
    tables, rows = {}, {}
    for filename in ("label.dat", "label.dat.test"):
        table = archive.read_table(filename, ["id", "name", "type", "labels"])
        where = archive.where(filename)
        tables[filename] = (where, table, _ints(table["type"], where, 3))
    # The target type: the one info.dat names classes for, else the type of the first label.
    target = next(iter(info.class_names), None)
    if target is None:
        target = next((int(types[0]) for _, _, types in tables.values() if len(types)), None)
    if target not in info.type_names:
        raise DataFormatError(archive.where("label.dat"), "no labels of a known node type")
    for filename, (where, table, types) in tables.items():
        lines, gid = table.index.to_numpy(), _ints(table["id"], where, 1)
        got_type, index = nodes.locate(gid)
        for wrong, number, value in ((types != target, 3, types), (got_type != target, 1, gid)):
            if wrong.any():
                i = int(np.argmax(wrong))
                if number == 3:
                    what = f"labels must be of node type {target}"
                else:
                    what = "not in node.dat" if got_type[i] < 0 else info.type_names[got_type[i]]
                    what = f"node is {what}, not {info.type_names[target]}"
                raise DataFormatError(
                    where, what, line=int(lines[i]), column=number, value=int(value[i])
                )
        classes = []
        for line, value in zip(lines, table["labels"], strict=True):
            try:
                classes.append([int(c) for c in value.split(",")])
            except ValueError:
                raise DataFormatError(
                    where, "expected comma-separated class numbers", line=int(line), column=4,
                    value=value,
                ) from None  # fmt: skip
        rows[filename] = (where, lines, index, classes)

    names = info.class_names.get(target)
    if names is not None:
        if not isinstance(names, dict) or set(names) != {str(c) for c in range(len(names))}:
            raise DataFormatError(info.where, "class names must be numbered 0, 1, …", value=names)
        class_names = [str(names[str(c)]) for c in range(len(names))]
    else:
        top = max((max(c) for r in rows.values() for c in r[3]), default=0)
        class_names = [str(c) for c in range(top + 1)]
    n, num_classes = nodes.count[target], len(class_names)
    multilabel = any(len(c) > 1 for r in rows.values() for c in r[3])
    labels = torch.zeros(n, num_classes) if multilabel else torch.full((n,), -1, dtype=torch.long)
    seen = np.zeros(n, dtype=bool)
    for where, lines, index, classes in rows.values():
        for line, i, c in zip(lines, index, classes, strict=True):
            if seen[i]:
                raise DataFormatError(where, "node labelled twice", line=int(line), column=1)
            if min(c) < 0 or max(c) >= num_classes:
                raise DataFormatError(
                    where, f"class outside 0..{num_classes - 1}", line=int(line), column=4,
                    value=",".join(map(str, c)),
                )  # fmt: skip
            seen[i] = True
            if multilabel:
                labels[i, c] = 1.0
            else:
                labels[i] = c[0]
    return target, rows["label.dat"][2], rows["label.dat.test"][2], labels, class_names
