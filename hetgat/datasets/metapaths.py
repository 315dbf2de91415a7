"""Meta-paths: resolve them, find them (their sizes and graphs: :mod:`.metapath_graphs`).

A meta-path is a sequence of canonical edge types ``(src_type, relation, dst_type)`` that
starts and ends at the target node type, e.g. paper -written_by-> author -writes-> paper. Its
graph links two target nodes when a path of those relations joins them (HAN, Wang et al. 2019).

Users write one as node types (``paper-author-paper``, each step must be unambiguous) or as
relation names joined by commas (``written_by,writes``; a duplicate relation's name works too);
a relation from the target type to itself (``han:acm``'s precomputed ``paper-author-paper``) is
a meta-path of length one. Meta-paths of the same relations, however written, are one.
"""

from __future__ import annotations

from dataclasses import dataclass

from hetgat.errors import ConfigError, HetgatError


@dataclass(frozen=True)
class MetaPath:
    """A resolved meta-path: its display name, its canonical edge types, and the other names
    it was given (``aliases``: the same relations written another way)."""

    name: str
    etypes: tuple
    aliases: tuple = ()

    def spec(self) -> str:
        """The relation-name form, which resolves back to this meta-path."""
        return ",".join(e[1] for e in self.etypes)


def spec_for(path: MetaPath, schema) -> str:
    """How a run's configuration names ``path`` so that it resolves back to it: relation names
    joined by ``,``, or, where a relation's name holds a comma, node types joined by ``-`` when
    those are unambiguous; else a :class:`HetgatError` naming the relation."""
    if not any("," in e[1] for e in path.etypes):
        return path.spec()
    types = "-".join([path.etypes[0][0]] + [e[2] for e in path.etypes])
    try:
        if resolve_metapath(types, schema).etypes == path.etypes:
            return types
    except HetgatError:
        pass
    name = next(e[1] for e in path.etypes if "," in e[1])
    raise HetgatError(
        f"relation {name!r} holds a comma, which separates the relations of a meta-path, and "
        f"node types do not name this meta-path ({types}) alone: rename the relation to use it "
        "in a HAN meta-path"
    )


def _relations(schema) -> list[tuple]:
    return [tuple(e) for e in schema.canonical_etypes]


def _describe(etypes) -> str:
    return ", ".join(f"{s}-[{r}]->{d}" for s, r, d in etypes)


def resolve_metapath(spec: str, schema) -> MetaPath:
    """Resolve ``spec`` (node types joined by ``-`` or relation names joined by ``,``)."""
    target = schema.target_type
    relations = _relations(schema)
    spec = spec.strip()
    by_name: dict[str, list[tuple]] = {}
    for e in relations:
        by_name.setdefault(e[1], []).append(e)
    for rel in getattr(schema, "relations", None) or ():
        for alias in rel.names[1:]:  # exact duplicates in the files, read as one edge type
            by_name.setdefault(alias, []).append(rel.etype)
    names = [s.strip() for s in spec.split(",")]
    if all(n in by_name for n in names):
        path, here = [], target
        for n in names:
            fits = [e for e in by_name[n] if e[0] == here]
            if not fits:
                raise ConfigError(
                    "metapaths",
                    spec,
                    f"relations that chain from {here!r}; "
                    f"relations from {here!r}: {_describe(_from(relations, here))}",
                )
            path.append(fits[0])
            here = fits[0][2]
        return _finish(spec, tuple(path), target)
    types = [t.strip() for t in spec.split("-")]
    if len(types) < 2 or any(t not in schema.node_types for t in types):
        raise ConfigError(
            "metapaths",
            spec,
            "node types joined by '-' or relation names joined by ','; node types: "
            f"{', '.join(schema.node_types)}; relations: {_describe(relations)}",
        )
    path = []
    for a, b in zip(types[:-1], types[1:], strict=True):
        fits = [e for e in relations if e[0] == a and e[2] == b]
        if len(fits) != 1:
            what = "no relation" if not fits else "several relations"
            raise ConfigError(
                "metapaths",
                spec,
                f"one relation from {a!r} to {b!r} ({what}; "
                f"write relation names instead; relations from {a!r}: "
                f"{_describe(_from(relations, a))})",
            )
        path.append(fits[0])
    return _finish(spec, tuple(path), target)


def _from(relations, ntype):
    return [e for e in relations if e[0] == ntype]


def _finish(spec: str, path: tuple, target: str) -> MetaPath:
    if path[0][0] != target or path[-1][2] != target:
        raise ConfigError(
            "metapaths", spec, f"a meta-path that starts and ends at the target type {target!r}"
        )
    return MetaPath(name=metapath_name(path), etypes=path)


def metapath_name(path: tuple) -> str:
    """``paper-author-paper`` for node types; a single relation keeps its own name."""
    if len(path) == 1:
        return path[0][1]
    return "-".join([path[0][0]] + [e[2] for e in path])


def _reverse_of(schema) -> dict:
    """Each edge type's reverse (itself if self-inverse): as ``schema.relations`` records it
    (recognised by the edges), else (HGB, graphs without a record) the one relation each way
    between two node types that have exactly one each way."""
    relations, record, rev = _relations(schema), getattr(schema, "relations", None), {}
    if record is not None:
        pairs = [(r.etype, r.reverse_of) for r in record if r.reverse_of is not None]
        return dict(pairs + [(b, a) for a, b in pairs])
    ends = [(e[0], e[2]) for e in relations]
    for e in relations:
        if e[0] != e[2] and ends.count((e[0], e[2])) == ends.count((e[2], e[0])) == 1:
            rev[e] = relations[ends.index((e[2], e[0]))]
    return rev


def find_metapaths(schema, length: int = 2) -> list[MetaPath]:
    """Every symmetric meta-path of ``length`` (2 or 4) through the target type.

    Length 2: ``T -r-> X -rev(r)-> T`` for every relation ``r`` out of ``T`` with a reverse
    other than itself, ``X`` another type or ``T`` (``cite,ref``: papers citing one paper, and
    ``ref,cite``, where ``ref`` is ``cite`` reversed). Length 4: ``T -r1-> X -r2-> Y -rev(r2)->
    X -rev(r1)-> T`` with ``X``, ``Y`` other types and ``r2`` not the way back. Relations from
    ``T`` to itself are meta-paths of length one when no others exist (``han:acm``).
    """
    if length not in (2, 4):
        raise ConfigError("metapath_length", length, "2 or 4")
    target = schema.target_type
    rev = _reverse_of(schema)
    out = []
    steps = [e for e in _relations(schema) if e[0] == target and rev.get(e, e) != e]
    for r in steps:
        if length == 2:
            out.append((r, rev[r]))
            continue
        for r2 in _from(_relations(schema), r[2]) if r[2] != target else ():
            if r2 in rev and r2 != rev[r] and r2[2] != r[2]:
                out.append((r, r2, rev[r2], rev[r]))
    if not out:
        out = [(e,) for e in _relations(schema) if e[0] == target and e[2] == target]
    if not out:
        raise HetgatError(
            f"no symmetric meta-path of length {length} through {target!r}; "
            "give them with `metapaths`",
            params=("metapaths",),
        )
    return distinct_metapaths([MetaPath(metapath_name(p), tuple(p)) for p in out])


def resolve_metapaths(specs, schema, log=None) -> list[MetaPath]:
    """``specs`` resolved (:func:`resolve_metapath`); specs of the same relations are one
    meta-path (``log`` says so), the other spellings its ``aliases``."""
    written: dict[tuple, list[str]] = {}
    for spec in specs:
        written.setdefault(resolve_metapath(spec, schema).etypes, []).append(spec.strip())
    paths = []
    for etypes, same in written.items():
        if len(same) > 1 and log is not None:
            log(f"meta-paths {' and '.join(same)} are the same relations: one graph, used once")
        name = metapath_name(etypes)
        paths.append(MetaPath(name, etypes, tuple(dict.fromkeys(w for w in same if w != name))))
    return distinct_metapaths(paths)


def distinct_metapaths(paths: list[MetaPath]) -> list[MetaPath]:
    """One meta-path per sequence of edge types (the same relations make the same graph, known
    before it is built), the others' names kept as its ``aliases``; a name two distinct
    meta-paths share (``paper-paper-paper``) is replaced by their relation names."""
    merged: dict[tuple, MetaPath] = {}
    for p in paths:
        first = merged.get(p.etypes)
        if first is None:
            merged[p.etypes] = p
        elif p.name != first.name and p.name not in first.aliases:
            merged[p.etypes] = MetaPath(first.name, first.etypes, first.aliases + (p.name,))
    names = [p.name for p in merged.values()]
    return [
        p if names.count(p.name) == 1 else MetaPath(p.spec(), p.etypes, p.aliases)
        for p in merged.values()
    ]
