"""Figures are saved once, the same way everywhere: a PNG and a PDF whose bytes do not change
when the figure is drawn and saved again (no creation date)."""

from __future__ import annotations

import numpy as np

from experiments.analysis.style import new_figure, save_figure


def _drawing():
    fig = new_figure(3.0, 2.0)
    ax = fig.add_subplot()
    ax.plot(np.arange(5), np.arange(5) ** 2, label="squares")
    ax.set_title("A title")
    ax.legend()
    return fig


def test_saving_a_figure_twice_gives_the_same_bytes(tmp_path):
    first = save_figure(_drawing(), tmp_path / "a" / "fig")
    second = save_figure(_drawing(), tmp_path / "b" / "fig")
    assert [p.name for p in first] == ["fig.png", "fig.pdf"]
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name
    pdf = first[1].read_bytes()
    assert pdf.startswith(b"%PDF") and b"/CreationDate" not in pdf


def test_a_png_is_saved_at_300_dpi_and_cropped_on_request(tmp_path):
    import matplotlib.image as mpimg

    full, _ = save_figure(_drawing(), tmp_path / "full")
    tight, _ = save_figure(_drawing(), tmp_path / "tight", tight=True)
    height, width = mpimg.imread(full).shape[:2]
    assert (width, height) == (900, 600)  # 3 x 2 inches at 300 dpi
    cropped = mpimg.imread(tight).shape[:2]
    assert cropped != (height, width)
