"""Walking routes over the map: the 8-connected walking graph and its shortest routes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.world.zones import FENCE_CLIMB_CELLS, WALK_COST, ZONES

NEIGHBOURS: tuple[tuple[int, int], ...] = (
    (-1, -1),
    (0, -1),
    (1, -1),
    (-1, 0),
    (1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
)


@dataclass(frozen=True)
class Route:
    """A walking route from the camp centre to the entry cell of one way."""

    way: str
    cells: np.ndarray  # (k, 2) int (col, row), camp centre first, entry cell last
    length_m: float  # effective walking length in metres (terrain and fence costs included)

    def hours(self, speed_kmh: float) -> float:
        """Walking time in hours at ``speed_kmh`` over the effective length."""
        if speed_kmh <= 0:
            raise ValueError(f"speed_kmh must be positive, got {speed_kmh}")
        return self.length_m / 1000.0 / speed_kmh


def cells_of(mask: np.ndarray) -> np.ndarray:
    """(n, 2) int array of (col, row) of the True cells of a (height, width) mask."""
    rows, cols = np.nonzero(mask)
    return np.column_stack([cols, rows]).astype(np.int64)


def dilate8(mask: np.ndarray) -> np.ndarray:
    """Mask grown by one cell in the 8-neighbourhood."""
    out = mask.copy()
    h, w = mask.shape
    for dc, dr in NEIGHBOURS:
        src = mask[max(0, -dr) : h - max(0, dr), max(0, -dc) : w - max(0, dc)]
        out[max(0, dr) : h - max(0, -dr), max(0, dc) : w - max(0, -dc)] |= src
    return out


class WalkingGraph:
    """Static 8-connected walking graph of a terrain; weights depend on the fence layer."""

    def __init__(self, terrain: np.ndarray, cell_m: float) -> None:
        h, w = terrain.shape
        cost = np.array([WALK_COST[z] for z in ZONES])[terrain]
        walkable = np.isfinite(cost)
        src: list[np.ndarray] = []
        dst: list[np.ndarray] = []
        step: list[np.ndarray] = []
        rows, cols = np.mgrid[0:h, 0:w]
        for dc, dr in NEIGHBOURS:
            r2, c2 = rows + dr, cols + dc
            ok = (r2 >= 0) & (r2 < h) & (c2 >= 0) & (c2 < w) & walkable
            r2c, c2c = np.clip(r2, 0, h - 1), np.clip(c2, 0, w - 1)
            ok &= walkable[r2c, c2c]
            if dc and dr:  # no corner cutting past impassable cells
                ok &= walkable[rows, c2c] & walkable[r2c, cols]
            src.append((rows * w + cols)[ok])
            dst.append((r2c * w + c2c)[ok])
            step.append(np.full(int(ok.sum()), cell_m * (math.sqrt(2.0) if dc and dr else 1.0)))
        self.n = h * w
        sources, self.dst = np.concatenate(src), np.concatenate(dst)
        self.base = np.concatenate(step) * cost.ravel()[self.dst]
        # the edges in the order of a CSR matrix (by source cell, each cell's edges in the
        # order above, as scipy's conversion from (src, dst) pairs leaves them), built once
        order = np.argsort(sources, kind="stable")
        self.dst, self.base = self.dst[order], self.base[order]
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(sources, minlength=self.n))])
        self.climb_m = FENCE_CLIMB_CELLS * cell_m

    def distances(self, fence: np.ndarray, source: int) -> tuple[np.ndarray, np.ndarray]:
        """Shortest effective distances (m) and predecessors from ``source`` (flat index)."""
        weights = self.base + self.climb_m * fence.ravel().astype(np.float64)[self.dst]
        graph = csr_matrix((weights, self.dst, self.indptr), shape=(self.n, self.n))
        dist, pred = dijkstra(graph, directed=True, indices=source, return_predecessors=True)
        return dist, pred
