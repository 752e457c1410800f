"""Grid edits a planner makes on the map: split, merge, move blocks.

Every edit works on the blocks of the grids (:func:`gridmap.grids.blocks.grid_blocks`):
a grid *is* the union of its blocks, so no edit can open a gap or an overlap, and households
are conserved because blocks carry them. An edit is refused with a
:class:`~gridmap.ValidationError` naming what is wrong (the line does not cross the grid,
the grids are not adjacent, the result is not contiguous, …) rather than producing a grid in
several pieces or one crossing its community. Changed grids are renumbered by the rule of
:func:`gridmap.grids.number_grids` (reading order inside the community) and every edit
reports an old → new code table. Nothing is written: the page saves the returned layer as a
new version through the store.

Blocks are in a metric CRS (m); the grids layer keeps its own CRS (EPSG:4326 in the store).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gridmap._errors import ValidationError
from gridmap.grids.blocks import MIN_BLOCK_AREA, shared_lengths
from gridmap.grids.codes import next_grid_codes, number_grids
from gridmap.i18n import Message

#: Columns a new grid takes over from the grid it came from.
INHERITED = ("community", "street", "district", "worker")


@dataclass
class EditResult:
    """What an edit returns: the new layer and what changed.

    Attributes
    ----------
    grids : GeoDataFrame
        The whole grids layer after the edit, in the CRS of the grids given.
    blocks : GeoDataFrame
        The blocks with their new ``grid_code`` (a line split adds pieces of cut blocks).
    codes : DataFrame
        ``old_code``, ``new_code``, ``change`` (split, merged, resized, renumbered): one row
        per old grid and new grid it feeds; unchanged grids are not listed.
    households : Series
        Households of every changed or new grid, by new code.
    """

    grids: gpd.GeoDataFrame
    blocks: gpd.GeoDataFrame
    codes: pd.DataFrame
    households: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))


def grids_from_blocks(
    blocks: gpd.GeoDataFrame, grids: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """The grids layer as the union of its blocks, with the attributes of `grids`.

    Start an editing session with it so every grid is exactly its blocks; households come
    from the blocks (rounded), other columns from `grids`. Returned in the CRS of `grids`
    (else the blocks').
    """
    _check_blocks(blocks)
    codes = blocks["grid_code"].astype(str).to_numpy()
    order = np.argsort(codes, kind="stable")
    unique, first = np.unique(codes[order], return_index=True)
    groups = np.split(order, first[1:])
    geoms = blocks.geometry.to_numpy()
    polygons = [shapely.union_all(geoms[g]) for g in groups]
    households = np.array([blocks["households"].to_numpy()[g].sum() for g in groups])
    out = gpd.GeoDataFrame({"grid_code": unique}, geometry=polygons, crs=blocks.crs)
    if grids is not None:
        attrs = pd.DataFrame(grids.drop(columns=grids.geometry.name))
        attrs = attrs.assign(grid_code=attrs["grid_code"].astype(str)).drop_duplicates("grid_code")
        out = out.merge(
            attrs.drop(columns=["households"], errors="ignore"), on="grid_code", how="left"
        )
        out = gpd.GeoDataFrame(out, geometry="geometry", crs=blocks.crs).to_crs(grids.crs)
        columns = [c for c in grids.columns if c in out.columns or c == "households"]
    else:
        columns = ["grid_code", "households", "geometry"]
    out["households"] = np.round(households).astype(int)
    return out[[c for c in columns if c in out.columns]]


def _check_blocks(blocks: gpd.GeoDataFrame) -> None:
    missing = {"block_id", "grid_code", "households"} - set(blocks.columns)
    if missing:
        msg = f"`blocks` must have columns {', '.join(sorted(missing))} (see grid_blocks)"
        raise ValidationError(msg)
    if blocks.crs is not None and not blocks.crs.is_projected:
        msg = "`blocks` must be in a metric CRS (see grid_blocks)"
        raise ValidationError(msg)


def _grid_row(grids: gpd.GeoDataFrame, code: str) -> int:
    hits = np.flatnonzero(grids["grid_code"].astype(str).to_numpy() == str(code))
    if not len(hits):
        raise ValidationError(Message("grids_unknown_grid", code=code))
    return int(hits[0])


def _pieces(geoms: np.ndarray) -> np.ndarray:
    """Connected-component label of each block (rook contiguity)."""
    if len(geoms) <= 1:
        return np.zeros(len(geoms), dtype=int)
    i, j, _ = shared_lengths(geoms)
    matrix = coo_matrix((np.ones(len(i)), (i, j)), shape=(len(geoms), len(geoms)))
    return connected_components(matrix, directed=False)[1]


def _count_pieces(blocks: gpd.GeoDataFrame, code: str) -> int:
    members = blocks.geometry.to_numpy()[blocks["grid_code"].astype(str).to_numpy() == code]
    return len(np.unique(_pieces(members))) if len(members) else 0


def _require_contiguous(
    before: gpd.GeoDataFrame, after: gpd.GeoDataFrame, sources: dict[str, list[str]]
) -> None:
    """Refuse an edit that leaves a changed grid in more pieces than it came from.

    Grids of other tools may already be in pieces (exclaves); an edit must not add any.
    """
    for key, olds in sources.items():
        allowed = max(1, max(_count_pieces(before, o) for o in olds))
        n = _count_pieces(after, key)
        if n > allowed:
            raise ValidationError(Message("grids_not_contiguous", code=olds[0], pieces=n))


def _finish(
    grids: gpd.GeoDataFrame,
    before: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    sources: dict[str, list[str]],
    change: str,
    *,
    renumber: bool,
) -> EditResult:
    """Rebuild changed grids from `blocks`, number them, and report old → new codes.

    `blocks` carries provisional codes: untouched grids keep theirs, new grids have keys of
    `sources` (new key → old codes it was made from); a changed old grid keeps its code as key.
    """
    community = next(iter(sources.values()))[0][:12]
    _require_contiguous(before, blocks, sources)
    old_codes = grids["grid_code"].astype(str).to_numpy()
    touched = {o for v in sources.values() for o in v} | set(sources)
    kept = grids[~np.isin(old_codes, list(touched))]
    labels = blocks["grid_code"].to_numpy()
    geoms = blocks.geometry.to_numpy()
    hh = blocks["households"].to_numpy(dtype=float)
    rows = []
    for key, olds in sources.items():
        members = labels == key
        polygon = shapely.union_all(geoms[members])
        base = grids.iloc[_grid_row(grids, olds[0])]
        row = {c: base[c] for c in grids.columns if c != grids.geometry.name}
        row["grid_code"] = key
        row["households"] = round(float(hh[members].sum()))
        if "population" in grids.columns:
            src = grids[np.isin(old_codes, olds)]
            per = (
                src["population"].sum() / max(src["households"].sum(), 1)
                if "households" in src
                else 0
            )
            row["population"] = round(row["households"] * per)
        row["geometry"] = polygon
        rows.append(row)
    changed = gpd.GeoDataFrame(rows, geometry="geometry", crs=blocks.crs).to_crs(grids.crs)
    out = pd.concat([kept, changed], ignore_index=True)
    out = gpd.GeoDataFrame(out, geometry=grids.geometry.name, crs=grids.crs)
    codes_now = out["grid_code"].astype(str)
    in_community = codes_now.str[:12].to_numpy() == community
    if renumber:
        new_codes = number_grids(out[in_community], community_code=community)
        mapping = dict(zip(codes_now[in_community], new_codes, strict=True))
    else:
        fresh = [k for k in sources if k not in old_codes]
        taken = [c for c in codes_now if c not in fresh]
        mapping = dict(zip(fresh, next_grid_codes(community, taken, len(fresh)), strict=True))
    out["grid_code"] = [mapping.get(c, c) for c in codes_now]
    blocks = blocks.assign(grid_code=[mapping.get(c, c) for c in labels])
    table = []
    for key, olds in sources.items():
        for old in olds:
            table.append({"old_code": old, "new_code": mapping.get(key, key), "change": change})
    for old, new in mapping.items():
        if old not in sources and old != new:
            table.append({"old_code": old, "new_code": new, "change": "renumbered"})
    households = pd.Series(
        {mapping.get(k, k): float(hh[labels == k].sum()) for k in sources}, name="households"
    )
    if "name" in out.columns:
        suffix = (
            {mapping.get(k, k): n for n, k in enumerate(sources, 1)} if len(sources) > 1 else {}
        )
        out["name"] = [
            f"{name}·{suffix[c]}" if c in suffix and change == "split" else name
            for name, c in zip(out["name"], out["grid_code"], strict=True)
        ]
    out = out.sort_values("grid_code").reset_index(drop=True)
    return EditResult(
        out, blocks, pd.DataFrame(table, columns=["old_code", "new_code", "change"]), households
    )


def split_grid(
    grids: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    code: str,
    line: shapely.LineString,
    *,
    min_area: float = MIN_BLOCK_AREA,
    renumber: bool = True,
) -> EditResult:
    """Split grid `code` with a drawn `line` (blocks' CRS) that crosses it.

    Blocks the line cuts are cut too; their pieces share the block's households by area.
    Each side of the line becomes a grid, which must be one piece of at least `min_area` m².

    Raises
    ------
    ValidationError
        The line does not cross the grid, or leaves a sliver or a grid in pieces.
    """
    _check_blocks(blocks)
    code = str(code)
    labels = blocks["grid_code"].astype(str).to_numpy()
    members = np.flatnonzero(labels == code)
    if not len(members):
        raise ValidationError(Message("grids_unknown_grid", code=code))
    geoms = blocks.geometry.to_numpy()
    grid = shapely.union_all(geoms[members])
    if line is None or line.geom_type not in ("LineString", "MultiLineString"):
        msg = "`line` must be a LineString in the blocks' CRS"
        raise ValidationError(msg)
    sides = shapely.get_parts(shapely.ops.split(grid, line))
    sides = sides[shapely.area(sides) > 0]
    if len(sides) < 2:
        raise ValidationError(Message("grids_line_not_crossing", code=code))
    small = shapely.area(sides).min()
    if small < min_area:
        raise ValidationError(
            Message("grids_split_sliver", area=f"{small:.0f}", limit=f"{min_area:.0f}")
        )
    # Blocks the line runs through (not merely along their edge) are cut in pieces.
    inner = shapely.buffer(geoms[members], -1e-6)
    cut = members[shapely.intersects(line, inner)]
    done, rows = [], []
    for b in cut.tolist():
        pieces = shapely.get_parts(shapely.ops.split(geoms[b], line))
        pieces = pieces[shapely.area(pieces) > 0]
        if len(pieces) < 2:
            continue
        done.append(b)
        share = shapely.area(pieces) / shapely.area(pieces).sum()
        for piece, part in zip(pieces, share, strict=True):
            row = blocks.iloc[b].to_dict()
            row["households"] = float(row["households"]) * float(part)
            if "area_m2" in row:
                row["area_m2"] = float(piece.area)
            row["geometry"] = piece
            rows.append(row)
    out = blocks
    if rows:
        added = gpd.GeoDataFrame(rows, geometry="geometry", crs=blocks.crs)
        next_id = int(blocks["block_id"].max()) + 1
        added["block_id"] = np.arange(next_id, next_id + len(added))
        was_cut = np.zeros(len(blocks), dtype=bool)
        was_cut[done] = True
        out = gpd.GeoDataFrame(
            pd.concat([blocks[~was_cut], added], ignore_index=True),
            geometry="geometry",
            crs=blocks.crs,
        )
        # Neighbours of cut blocks take the new vertices, so shared edges still match.
        cut_lines = shapely.union_all(shapely.boundary(added.geometry.to_numpy()))
        og = out.geometry.to_numpy().copy()
        near = np.flatnonzero(shapely.intersects(og, cut_lines))
        og[near] = shapely.snap(og[near], cut_lines, 1e-6)
        out = out.set_geometry(og)
    labels = out["grid_code"].astype(str).to_numpy().astype(object)
    in_grid = np.flatnonzero(labels == code)
    side_of = shapely.STRtree(sides).query(
        shapely.point_on_surface(out.geometry.to_numpy()[in_grid]), predicate="intersects"
    )
    side = np.full(len(in_grid), -1)
    first = np.unique(side_of[0], return_index=True)[1]
    side[side_of[0][first]] = side_of[1][first]
    keys = [f"{code}#{n + 1}" for n in range(len(sides))]
    labels[in_grid] = [keys[s] if s >= 0 else keys[0] for s in side]
    out = out.assign(grid_code=labels)
    sources = {k: [code] for k in keys if (labels == k).any()}
    return _finish(grids, blocks, out, sources, "split", renumber=renumber)


def split_grid_along_streets(
    grids: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    code: str,
    segments: gpd.GeoSeries | gpd.GeoDataFrame | Iterable[shapely.Geometry],
    *,
    snap: float = 0.5,
    renumber: bool = True,
) -> EditResult:
    """Split grid `code` along chosen street `segments` (blocks' CRS).

    Two blocks of the grid are separated where their shared edge runs along the segments
    (within `snap` m, for at least half its length); each remaining connected group of
    blocks becomes a grid. No block is cut, so the new boundary follows the streets exactly.

    Raises
    ------
    ValidationError
        The segments do not divide the grid.
    """
    _check_blocks(blocks)
    code = str(code)
    labels = blocks["grid_code"].astype(str).to_numpy().astype(object)
    members = np.flatnonzero(labels == code)
    if not len(members):
        raise ValidationError(Message("grids_unknown_grid", code=code))
    if isinstance(segments, gpd.GeoDataFrame | gpd.GeoSeries):
        lines = (
            segments.to_crs(blocks.crs).geometry.to_numpy()
            if segments.crs
            else segments.geometry.to_numpy()
        )
    else:
        lines = np.asarray(list(segments), dtype=object)
    if not len(lines):
        raise ValidationError(Message("grids_streets_do_not_split", code=code))
    corridor = shapely.buffer(shapely.union_all(lines), snap)
    geoms = blocks.geometry.to_numpy()[members]
    i, j, length = shared_lengths(geoms)
    edge = shapely.intersection(shapely.boundary(geoms[i]), shapely.boundary(geoms[j]))
    along = shapely.length(shapely.intersection(edge, corridor))
    keep = along < 0.5 * length
    shape = (len(members),) * 2
    whole = coo_matrix((np.ones(len(i)), (i, j)), shape=shape)
    n_before, piece = connected_components(whole, directed=False)
    matrix = coo_matrix((np.ones(keep.sum()), (i[keep], j[keep])), shape=shape)
    _, comp = connected_components(matrix, directed=False)
    # A grid already in pieces (imported data) is not "divided" by a street that cuts none
    # of them: only pieces the streets cut become new grids; the others stay with the first.
    cut = np.array([len(np.unique(comp[piece == p])) > 1 for p in range(n_before)])
    if not cut.any():
        raise ValidationError(Message("grids_streets_do_not_split", code=code))
    divided = cut[piece]
    new_parts = np.unique(comp[divided])
    number = {c: k for k, c in enumerate(new_parts)}
    keys = [f"{code}#{k + 1}" for k in range(len(new_parts))]
    labels[members] = [
        keys[number[c]] if d else keys[0] for c, d in zip(comp, divided, strict=True)
    ]
    out = blocks.assign(grid_code=labels)
    return _finish(grids, blocks, out, {k: [code] for k in keys}, "split", renumber=renumber)


def merge_grids(
    grids: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    codes: Iterable[str],
    *,
    renumber: bool = True,
) -> EditResult:
    """Merge two or more adjacent grids of one community into one.

    Raises
    ------
    ValidationError
        Fewer than two grids, grids of different communities, or grids that are not
        adjacent (the merged grid would not be one piece).
    """
    _check_blocks(blocks)
    codes = list(dict.fromkeys(str(c) for c in codes))
    if len(codes) < 2:
        raise ValidationError(Message("grids_merge_needs_two"))
    labels = blocks["grid_code"].astype(str).to_numpy().astype(object)
    for c in codes:
        if not (labels == c).any():
            raise ValidationError(Message("grids_unknown_grid", code=c))
    if len({c[:12] for c in codes}) > 1:
        raise ValidationError(Message("grids_not_same_community", codes=", ".join(codes)))
    members = np.isin(labels, codes)
    pieces = len(np.unique(_pieces(blocks.geometry.to_numpy()[members])))
    # Adjacent: the merged grid is in fewer pieces than the grids were together.
    if pieces > 1 and pieces >= sum(_count_pieces(blocks, c) for c in codes):
        raise ValidationError(Message("grids_not_adjacent", codes=", ".join(codes), pieces=pieces))
    key = f"{codes[0]}#merged"
    labels[members] = key
    return _finish(
        grids, blocks, blocks.assign(grid_code=labels), {key: codes}, "merged", renumber=renumber
    )


def move_blocks(
    grids: gpd.GeoDataFrame,
    blocks: gpd.GeoDataFrame,
    block_ids: Iterable[object],
    to_code: str,
    *,
    renumber: bool = True,
) -> EditResult:
    """Move blocks (by ``block_id``) from their grids to the neighbouring grid `to_code`.

    The receiving grid and every giving grid must stay one piece, no grid may be left
    empty, and blocks cannot leave their community.

    Raises
    ------
    ValidationError
        Unknown blocks or grid, blocks already in `to_code`, a move across communities, a
        grid left empty, or a result that is not contiguous.
    """
    _check_blocks(blocks)
    to_code = str(to_code)
    labels = blocks["grid_code"].astype(str).to_numpy().astype(object)
    if not (labels == to_code).any():
        raise ValidationError(Message("grids_unknown_grid", code=to_code))
    wanted = list(dict.fromkeys(block_ids))
    ids = blocks["block_id"].to_numpy()
    moving = np.isin(ids, wanted)
    unknown = [str(b) for b in wanted if b not in set(ids[moving].tolist())]
    if unknown:
        raise ValidationError(Message("grids_unknown_blocks", ids=", ".join(unknown)))
    already = moving & (labels == to_code)
    if already.any():
        shown = ", ".join(str(b) for b in ids[already])
        raise ValidationError(Message("grids_blocks_same_grid", ids=shown, code=to_code))
    donors = list(dict.fromkeys(labels[moving].tolist()))
    if any(d[:12] != to_code[:12] for d in donors):
        raise ValidationError(
            Message("grids_not_same_community", codes=", ".join([*donors, to_code]))
        )
    for d in donors:
        if not ((labels == d) & ~moving).any():
            raise ValidationError(Message("grids_move_empties", code=d))
    labels[moving] = to_code
    sources = {to_code: [to_code]} | {d: [d] for d in donors}
    return _finish(
        grids, blocks, blocks.assign(grid_code=labels), sources, "resized", renumber=renumber
    )
