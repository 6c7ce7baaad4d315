"""The sensitivity analysis's figure: each factor's indices with their intervals, one panel an
outcome (``sensitivity.png``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def figure(indices: pd.DataFrame, method: str, title: str = "", dummy: str = "") -> Any:
    """One panel per outcome: each factor's index with its 95% interval, largest first; the
    ``dummy`` factor (which changes nothing) in grey."""
    import matplotlib.pyplot as plt

    from sim.runs import plots  # noqa: F401  (selects the Agg backend)

    outcomes = list(dict.fromkeys(indices["outcome"]))
    cols = min(3, len(outcomes))
    rows = math.ceil(len(outcomes) / cols)
    n = indices["factor"].nunique()
    fig, axes = plt.subplots(
        rows, cols, figsize=(5.2 * cols, 0.28 * n * rows + 1.5), layout="constrained", squeeze=False
    )
    main, conf = ("mu_star", "mu_star_conf") if method == "morris" else ("ST", "ST_conf")
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        part = indices[indices["outcome"] == outcome].sort_values(main)
        y = np.arange(len(part))
        colours = ["0.6" if f == dummy else "#1f77b4" for f in part["factor"]]
        ax.barh(y, part[main], xerr=part[conf], color=colours, error_kw={"lw": 0.8})
        if method == "sobol":
            ax.plot(part["S1"], y, "o", color="k", ms=3, label="first order (S1)")
            ax.legend(fontsize=7, loc="lower right")
        ax.set_yticks(y, [f.replace("policies.", "") for f in part["factor"]], fontsize=7)
        ax.set_title(outcome, fontsize=9)
        ax.set_xlabel(
            "μ* (outcome's units)" if method == "morris" else "total order (ST)", fontsize=8
        )
        ax.grid(alpha=0.3, axis="x")
        ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    for ax in list(axes.flat)[len(outcomes) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
