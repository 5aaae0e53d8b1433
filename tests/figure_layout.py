"""What a reader would see wrong in a figure: text out of the figure, overlapping labels, ticks
or annotations (shared by the figure tests)."""

from __future__ import annotations

import itertools

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

#: Pixels a box may cross an edge by (antialiasing, rounding).
SLACK = 1.0


def shown(text: Text) -> bool:
    """Whether a text is drawn: visible, not blank, in a figure."""
    return text.get_visible() and bool(text.get_text().strip()) and text.get_figure() is not None


def _tick_labels(ax: Axes) -> list[list[Text]]:
    """The drawn tick labels of each axis of ``ax`` (those inside its view interval)."""
    out = []
    for axis in (ax.xaxis, ax.yaxis):
        lo, hi = sorted(axis.get_view_interval())
        span = (hi - lo) * 1e-9
        labels = [tick.label1 for tick in axis.get_major_ticks()
                  if lo - span <= tick.get_loc() <= hi + span and shown(tick.label1)]
        labels += [tick.label2 for tick in axis.get_major_ticks()
                   if lo - span <= tick.get_loc() <= hi + span and shown(tick.label2)]
        out.append(labels)
    return out


def _outside(box, frame) -> bool:
    return (box.x0 < frame.x0 - SLACK or box.x1 > frame.x1 + SLACK
            or box.y0 < frame.y0 - SLACK or box.y1 > frame.y1 + SLACK)


def _corners(text: Text, renderer) -> np.ndarray:
    """The four corners of a text's box as drawn, turned with the text (pixels)."""
    box = text.get_window_extent(renderer)
    angle = text.get_rotation()
    if angle % 90 == 0:
        return np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]])
    text.set_rotation(0)  # the unturned size; the turned box shares its centre
    flat = text.get_window_extent(renderer)
    text.set_rotation(angle)
    theta = np.radians(angle)
    turn = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    half = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [flat.width / 2, flat.height / 2]
    return (half @ turn.T) + [(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2]


def _overlap(a: Text, b: Text, renderer) -> bool:
    """Whether two texts' boxes, turned as the texts are, overlap (separating axes)."""
    pa, pb = _corners(a, renderer), _corners(b, renderer)
    for poly in (pa, pb):
        for edge in np.diff(np.vstack([poly, poly[:1]]), axis=0):
            normal = np.array([-edge[1], edge[0]])
            sa, sb = pa @ normal, pb @ normal
            if sa.max() <= sb.min() or sb.max() <= sa.min():
                return False
    return True


def _tick_problems(fig: Figure, renderer) -> tuple[list[str], set[int]]:
    """Overlapping tick labels on any axis, and the ids of every drawn tick label."""
    problems, drawn = [], set()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for labels in _tick_labels(ax):
            drawn |= {id(t) for t in labels}
            for a, b in itertools.combinations(labels, 2):
                if _overlap(a, b, renderer):
                    problems.append(f"tick labels {a.get_text()!r} and {b.get_text()!r} "
                                    "overlap")
    return problems, drawn


def _annotation_problems(ax: Axes, renderer) -> list[str]:
    """Annotations of ``ax`` out of its box or overlapping each other."""
    notes = [t for t in ax.texts if shown(t)]
    inside = ax.get_window_extent(renderer)
    problems = [f"annotation {t.get_text()[:30]!r} leaves its axes" for t in notes
                if _outside(t.get_window_extent(renderer), inside)]
    for a, b in itertools.combinations(notes, 2):
        if _overlap(a, b, renderer):
            problems.append(f"annotations {a.get_text()[:20]!r} and {b.get_text()[:20]!r} "
                            "overlap")
    return problems


def layout_problems(fig: Figure) -> list[str]:
    """What a reader would see wrong: text out of the figure, annotations overlapping or out
    of their axes, tick labels or axis labels and titles overlapping (empty when sound)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    problems, drawn_ticks = _tick_problems(fig, renderer)
    every_tick = {id(label) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
                  for tick in axis.get_major_ticks() + axis.get_minor_ticks()
                  for label in (tick.label1, tick.label2)}
    for text in fig.findobj(Text):
        if not shown(text) or (id(text) in every_tick and id(text) not in drawn_ticks):
            continue  # empty, hidden, or a tick outside the view (not drawn)
        if _outside(text.get_window_extent(renderer), fig.bbox):
            problems.append(f"{text.get_text()[:40]!r} leaves the figure")
    names = [label for ax in fig.axes if ax.get_visible()
             for label in (ax.xaxis.label, ax.yaxis.label, ax.title) if shown(label)]
    for a, b in itertools.combinations(names, 2):
        if _overlap(a, b, renderer):
            problems.append(f"labels {a.get_text()[:20]!r} and {b.get_text()[:20]!r} overlap")
    for ax in fig.axes:
        if ax.get_visible():
            problems += _annotation_problems(ax, renderer)
    return problems
