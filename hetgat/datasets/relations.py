"""How the relations of the user's files become the edge types of a heterogeneous graph.

Exports often list every relation in both directions (``paper -written_by-> author`` and
``author -writes-> paper``, the same pairs reversed), sometimes one relation under two names.
:func:`read_relations` recognises them **by their edge sets, not their names**:

- a relation whose edges are exactly those of a relation listed before it, reversed, is that
  relation's reverse (``writes = reverse of written_by``): both stay edge types, no reverse is
  added for either;
- a relation with exactly the edges of one listed before it (same node types) is a duplicate:
  one edge type, named after the first, the other name kept as an alias;
- a relation between nodes of one type equal to its own reverse (co-author) is self-inverse;
- every other relation gets a reverse added by hetgat (unless ``reverse`` is False), named by
  :func:`reverse_name`: ``rev_<relation>``, never the name of a relation of the files.

``keep_relations`` turns the recognition off (every relation its own edge type, a reverse added
for each). :func:`read_as` reads a new export of a graph as a run's recorded
:class:`~hetgat.data.Relation` list did, whatever the files' order or names of duplicates.
"""

from __future__ import annotations

import hashlib

import numpy as np

from hetgat.data import Relation
from hetgat.errors import HetgatError

#: Prefix of the reverse relations hetgat adds: ``rev_writes`` is ``writes`` reversed (no ':'
#: or '/': DGL's partitions split type names there).
REVERSE_PREFIX = "rev_"


def dedupe(src: np.ndarray, dst: np.ndarray, n_src: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct edges sorted by (dst, src)."""
    n_src = max(n_src, 1)
    code = np.sort(dst * n_src + src)  # sort + neighbour test: 5x faster than np.unique here
    code = code[np.concatenate([[True], code[1:] != code[:-1]])]
    return code % n_src, code // n_src


def reverse_name(relation: str, taken) -> str:
    """hetgat's name for ``relation`` reversed: ``rev_<relation>``, or, if the files use that
    name themselves (in ``taken``), the first of ``rev2_<relation>``, ``rev3_<relation>``, …
    that they do not: a reverse hetgat adds is never read as one of the user's relations."""
    name, k = f"{REVERSE_PREFIX}{relation}", 1
    while name in taken:
        k += 1
        name = f"rev{k}_{relation}"
    return name


def _key(codes: np.ndarray) -> tuple[int, bytes]:
    return len(codes), hashlib.blake2b(codes.tobytes(), digest_size=16).digest()


def read_relations(
    edges: dict, counts: dict, *, reverse: bool = True, keep_relations: bool = False
) -> tuple[dict, tuple]:
    """The edge types of the files' relations and how each was read.

    Parameters
    ----------
    edges : dict
        ``{(src_type, relation, dst_type): (src, dst)}`` in file order, each edge once, sorted
        by (dst, src) (as :func:`dedupe` gives them).
    counts : dict[str, int]
        Nodes per type.
    reverse : bool, default True
        Add a reverse (:func:`reverse_name`) for every relation that has none in the files.
    keep_relations : bool, default False
        Every relation its own edge type, exactly as given: no inverse pairs, duplicates or
        self-inverse relations recognised (reverses are still added unless ``reverse`` is False).

    Returns
    -------
    (dict, tuple[Relation, ...])
        The graph's ``{etype: (src, dst)}`` and one :class:`~hetgat.data.Relation` per edge
        type: the files' relations in file order, then the reverses added.
    """
    kept: dict[tuple, list] = {}  # etype -> [names, reverse_of]
    by_edges: dict[tuple, tuple] = {}  # (src_type, dst_type, size, digest) -> etype
    paired: set[tuple] = set()
    out = {}
    for (s, r, d), (src, dst) in edges.items():
        etype = (s, r, d)
        if not keep_relations:
            codes = dst * max(counts[s], 1) + src  # sorted: the edge set's own order
            same = by_edges.get((s, d, *_key(codes)))
            if same is not None and np.array_equal(_codes(out[same], counts[s]), codes):
                kept[same][0].append(r)
                continue
            # The edges reversed, coded as a relation from d to s would code them.
            mirrored = np.sort(src * max(counts[d], 1) + dst)
            partner = by_edges.get((d, s, *_key(mirrored)))
            if s == d and np.array_equal(mirrored, codes):
                kept[etype] = [[r], etype]
                paired.add(etype)
            elif (
                partner is not None
                and partner not in paired
                and np.array_equal(_codes(out[partner], counts[d]), mirrored)
            ):
                kept[etype] = [[r], partner]
                paired.update((etype, partner))
            else:
                kept[etype] = [[r], None]
            by_edges[(s, d, *_key(codes))] = etype
        else:
            kept[etype] = [[r], None]
        out[etype] = (src, dst)
    relations = [Relation(e, tuple(names), rev) for e, (names, rev) in kept.items()]
    if reverse:
        taken = {r for _, r, _ in edges}
        for e in list(kept):
            if e in paired:
                continue
            s, r, d = e
            added = (d, reverse_name(r, taken), s)
            src, dst = out[e]
            out[added] = dedupe(dst, src, counts[d])
            relations.append(Relation(added, (), e))
    return out, tuple(relations)


def _codes(pair: tuple, n_src: int) -> np.ndarray:
    return pair[1] * max(n_src, 1) + pair[0]


def read_as(edges: dict, counts: dict, relations) -> dict:
    """The graph's ``{etype: (src, dst)}`` from the files' relations ``edges`` (as in
    :func:`read_relations`), read as ``relations`` (a run's record) says.

    An edge type takes the edges of the first of its ``names`` the files have; failing that,
    those of its partner (its ``reverse_of``, or the relation whose ``reverse_of`` it is)
    reversed: one direction of a pair is enough. Every relation of the files must be read: by one of
    the names, or, under another name, holding exactly the edges of an edge type (a new export
    that lists both directions where the run's data listed one).

    Raises
    ------
    HetgatError
        A relation of the record is missing from the files, or the files have one it lacks.
    """
    out, claimed = {}, set()
    for rel in relations:
        s, _, d = rel.etype
        found = [(s, n, d) for n in rel.names if (s, n, d) in edges]
        claimed.update(found)
        if found:
            out[rel.etype] = edges[found[0]]
    partner = {r.reverse_of: r.etype for r in relations if r.reverse_of is not None}
    for rel in relations:
        if rel.etype in out:
            continue
        # Its edges reversed: those of the relation it reverses, or of the one reversing it.
        base = out.get(rel.reverse_of) if rel.reverse_of is not None else None
        base = out.get(partner.get(rel.etype)) if base is None else base
        if base is None:
            names = " or ".join(map(repr, rel.names or [rel.etype[1]]))
            raise HetgatError(
                f"the graph has no relation {names} from {rel.etype[0]!r} to {rel.etype[2]!r}, "
                "which the run was trained with"
            )
        out[rel.etype] = dedupe(base[1], base[0], counts[rel.etype[0]])
    for key, (src, dst) in edges.items():
        if key in claimed:
            continue
        s, r, d = key
        codes = _codes((src, dst), counts[s])
        if not any(
            e[0] == s and e[2] == d and np.array_equal(_codes(pair, counts[s]), codes)
            for e, pair in out.items()
        ):
            raise HetgatError(
                f"the graph's relation {r!r} from {s!r} to {d!r} is not one the run was "
                f"trained with ({', '.join(e[1] for e in out)})"
            )
    return out


def legacy_relations(canonical_etypes) -> tuple:
    """The record of a run folder written before relations were recorded: each edge type a
    relation of the files by its own name, ``rev_<r>`` (when ``r`` is an edge type of the
    opposite direction) its reverse where the files lack it, as hetgat then read them."""
    etypes = {tuple(e) for e in canonical_etypes}
    out = []
    for s, r, d in canonical_etypes:
        base = (d, r[4:], s)
        reverse_of = base if r.startswith("rev_") and base in etypes else None
        out.append(Relation((s, r, d), (r,), reverse_of))
    return tuple(out)
