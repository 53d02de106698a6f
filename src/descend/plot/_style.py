"""The one small look every descend picture shares.

Colours are the Okabe–Ito palette, told apart by readers with any common colour-vision
deficiency; landscapes use ``viridis``, which keeps its order in greyscale print. No LaTeX:
labels are plain Unicode, so nothing outside Matplotlib is needed to draw.
"""

from __future__ import annotations

import functools

import matplotlib as mpl

#: Okabe–Ito colours, in the order runs are drawn.
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow (last: faint on white)
)
#: Marker shapes that go with the palette, so classes differ in shape as well as colour.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
#: Colour map of function landscapes and cost surfaces.
CMAP = "viridis"
#: Colour of paths drawn over a landscape (stands out on every part of viridis).
PATH = "#D55E00"
#: How a known minimum is marked.
MINIMUM = {"marker": "*", "s": 220, "c": "white", "edgecolors": "black", "linewidths": 1.0}

RC = {
    "figure.figsize": (6.4, 4.4),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "standard",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "image.cmap": CMAP,
    "legend.fontsize": 9,
    "text.usetex": False,
}


def styled(draw):
    """Run a drawing function inside descend's style, leaving the caller's settings as they
    were."""

    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with mpl.rc_context(RC):
            return draw(*args, **kwargs)

    return wrapper


def color(i: int) -> str:
    """The i-th run's colour."""
    return PALETTE[i % len(PALETTE)]


def new_axes(ax=None, *, projection=None, figsize=None):
    """``ax`` as given, or the axes of a new pyplot figure (so ``plt.show()`` shows it)."""
    if ax is not None:
        if projection == "3d" and getattr(ax, "name", "") != "3d":
            raise ValueError("This plot needs 3-D axes: pass ax=fig.add_subplot(projection='3d')")
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    return fig.add_subplot(projection=projection)


def legend(ax) -> None:
    """A legend when something carries a label, in a light box: over a landscape its sample
    star must not be taken for a marked minimum."""
    if ax.get_legend_handles_labels()[1]:
        ax.legend(loc="best", frameon=True, framealpha=0.85, markerscale=0.6)
