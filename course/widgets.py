"""Interactive explorers: thin ipywidgets wrappers over :mod:`course.plots`.

Each explorer draws its figure once and, when a control moves, changes that figure in place
(visibility, limits, scale, line data) and re-renders it into the same image widget. Text that
does not need to be pixels (title, legend, the list of claims shown) lives in HTML beside the
image, which keeps a re-render within tens of milliseconds. When only data artists change (a
document switched on or off), the explorer blits: it restores the cached empty axes and draws
just the data. The figure's alt text is kept in step and shown under the image.

>>> explorer = MembershipExplorer()
>>> explorer.log.value = True
>>> explorer.figure.axes[0].get_yscale()
'log'
"""

from __future__ import annotations

import io
from html import escape

import ipywidgets as w

from course import data, plots

__all__ = ["MembershipExplorer", "OutputExplorer", "MortalityExplorer", "GrowthCalculator"]


class Explorer:
    """A figure rendered into an image widget, with controls that update it in place."""

    def __init__(self, figure, controls: list[w.Widget], extras: tuple[w.Widget, ...] = ()) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.figure = figure
        self.controls = controls
        self.extras = extras
        self.heading = w.HTML()
        self.legend = w.HTML()
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.caption = w.HTML()
        figure.set_dpi(72)
        FigureCanvasAgg(figure)
        self._lean()
        figure.canvas.draw()  # settle the constrained layout once, then freeze it
        figure.set_layout_engine("none")
        self._background = None
        for control in controls:
            control.observe(self._changed, names="value")
        self.update()
        self.render()

    def _lean(self) -> None:
        """Move the title and legend out of the pixels, into the HTML around the image.

        Tick labels are plain text (no mathtext powers of ten on log axes), which renders in a
        fraction of the time.
        """
        from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

        ax = self.figure.axes[0]
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_locator(), FixedLocator):
                continue  # named ticks (the mortality groups) stay as they are
            if axis.get_scale() != "log":
                axis.set_major_locator(MaxNLocator(nbins=5))
            years = axis is ax.xaxis and axis.get_scale() != "log"
            axis.set_major_formatter(FuncFormatter(_year if years else _compact))
        if ax.get_legend():
            ax.get_legend().remove()
        if ax.get_title():
            self.heading.value = f"<b>{escape(ax.get_title())}</b>"
            ax.set_title("")

    def _changed(self, change: dict) -> None:
        only_data = self.update(change["owner"])
        self.render(blit=bool(only_data))

    def update(self, control: w.Widget | None = None) -> bool:
        """Apply the controls to the figure. Return True when only data artists changed."""
        return False

    def _data_artists(self):
        return [a for a in self.figure.axes[0].get_children() if a.get_gid()]

    def render(self, blit: bool = False) -> None:
        """Re-render the figure into the image widget, and refresh the text around it."""
        import PIL.Image

        canvas = self.figure.canvas
        ax = self.figure.axes[0]
        if blit and self._background is not None:
            canvas.restore_region(self._background)
            for artist in self._data_artists():
                if artist.get_visible():
                    ax.draw_artist(artist)
        else:
            shown = [(a, a.get_visible()) for a in self._data_artists()]
            for artist, _ in shown:
                artist.set_visible(False)
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            for artist, visible in shown:
                artist.set_visible(visible)
                if visible:
                    ax.draw_artist(artist)
        width, height = canvas.get_width_height()
        self.image.width = str(width)  # natural size: never stretched
        image = PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba())
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)
        self.image.value = buffer.getvalue()
        self.caption.value = (
            f"<small>{escape(self.figure.alt_text)} {escape(self.figure.credit)}</small>"
        )

    @property
    def widget(self) -> w.Widget:
        return w.VBox(
            [
                w.HBox(self.controls),
                *self.extras,
                self.heading,
                self.legend,
                self.image,
                self.caption,
            ]
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _compact(value: float, _position=None) -> str:
    """A short tick label without mathtext: 1.5m, 200k, 40.

    >>> _compact(1_500_000), _compact(200_000), _compact(40)
    ('1.5m', '200k', '40')
    """
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def _year(value: float, _position=None) -> str:
    return f"{value:.0f}"


def _picker(options: list[str], description: str) -> w.SelectMultiple:
    return w.SelectMultiple(
        options=options, value=tuple(options), description=description, rows=min(6, len(options))
    )


class MembershipExplorer(Explorer):
    """Party membership by document: choose the series, the years, a log or linear scale."""

    def __init__(self) -> None:
        figure = plots.membership()
        series = sorted({a.get_gid() for a in figure.axes[0].get_children() if a.get_gid()})
        self.series = _picker(series, "Series")
        self.years = w.IntRangeSlider(
            value=(1917, 1941), min=1915, max=1942, description="Years", continuous_update=False
        )
        self.log = w.ToggleButton(value=False, description="Log scale")
        super().__init__(figure, [self.series, self.years, self.log])

    def update(self, control=None) -> bool:
        ax = self.figure.axes[0]
        for artist in self._data_artists():
            artist.set_visible(artist.get_gid() in self.series.value)
        self.legend.value = plots.legend_html(list(self.series.value))
        scale = "log" if self.log.value else "linear"
        self.figure.alt_text = (
            f"Party membership {self.years.value[0]} to {self.years.value[1]} on a {scale} "
            f"scale, showing {', '.join(self.series.value) or 'no series'}."
        )
        if control is self.series:
            return True
        ax.set_xlim(*self.years.value)
        if ax.get_yscale() != scale:
            ax.set_yscale(scale)  # resets the axis' ticks: make them plain again
            self._lean()
        return False


class OutputExplorer(Explorer):
    """Industrial output as an index on a 1913 or 1928 base, documents against reference."""

    def __init__(self) -> None:
        self.base = w.ToggleButtons(options=["1913", "1928"], value="1913", description="Base")
        self.fiction = w.Checkbox(value=True, description="the fiction (doc 000)")
        self.reference = w.Checkbox(value=True, description="reference series")
        figure = plots.output("1913")
        # Both bases live in the axes; the explorer shows one and hides the other.
        self._levels = {
            "1913": plots.output_levels("1913"),
            "1928": plots.output_series(figure.axes[0], "1928"),
        }
        self._limits = {}
        for base, levels in self._levels.items():
            top = max(levels[["low", "high"]].max().max(), 700 if base == "1928" else 100)
            self._limits[base] = (0, float(top) * 1.1)
        super().__init__(figure, [self.base, self.fiction, self.reference])

    def update(self, control=None) -> bool:
        ax = self.figure.axes[0]
        base = self.base.value
        shown = set()
        for artist in self._data_artists():
            artist_base, doc = artist.get_gid().split(":")
            visible = (
                artist_base == base
                and (doc != "000" or self.fiction.value)
                and (doc != "reference" or self.reference.value)
            )
            artist.set_visible(visible)
            if visible:
                shown.add(doc)
        levels = self._levels[base]
        if not self.fiction.value:
            levels = levels[~levels["is_fiction"]]
        reference = self.reference.value and base == "1928"
        self.legend.value = plots.legend_html(sorted(shown - {"reference"})) + (
            " &nbsp; grey band: R19 Western recalculation; black cross: R18 official multiple"
            if reference
            else ""
        )
        self.heading.value = f"<b>Industrial output against {base}</b>"
        self.figure.alt_text = plots.output_alt_text(levels, base, reference)
        if control is not self.base and control is not None:
            return True
        ax.set_ylim(*self._limits[base])
        ax.set_ylabel(f"index ({base} = 100)")
        return False


class MortalityExplorer(Explorer):
    """Claims about deaths and repression: pick what is counted and which sources."""

    def __init__(self) -> None:
        figure = plots.mortality()
        self.group = w.Dropdown(
            options=["all", *figure.group_rows], value="all", description="Counting"
        )
        sources = sorted(data.load("mortality")["doc"].unique()) + ["reference"]
        self.sources = _picker(sources, "Sources")
        self.claims = w.HTML()
        self._full = figure.axes[0].get_ylim()
        # In the explorer the claims are listed in HTML; the axis names only the groups.
        ax = figure.axes[0]
        centres = [(a + b) / 2 for a, b in figure.group_rows.values()]
        ax.set_yticks(centres, list(figure.group_rows), fontsize=8)
        figure.set_size_inches(7.5, 4.5)
        super().__init__(figure, [self.group, self.sources])

    @property
    def widget(self) -> w.Widget:
        return w.VBox([super().widget, self.claims])

    def update(self, control=None) -> bool:
        ax = self.figure.axes[0]
        for artist in self._data_artists():
            artist.set_visible(artist.get_gid() in self.sources.value)
        claims = self.figure.claims
        first, last = (0, len(claims) - 1)
        if self.group.value != "all":
            first, last = self.figure.group_rows[self.group.value]
        shown = claims.iloc[first : last + 1]
        shown = shown[shown["doc"].isin(self.sources.value)]
        self.claims.value = (
            "<small>Claims shown: "
            + escape("; ".join(f"{r.id} ({r.doc}, {r.period})" for r in shown.itertuples()))
            + "</small>"
        )
        self.legend.value = plots.legend_html(list(self.sources.value))
        what = (
            self.group.value if self.group.value != "all" else "all kinds of death and repression"
        )
        self.figure.alt_text = (
            f"{len(shown)} claims about {what} from {', '.join(self.sources.value) or 'no source'}"
            ", as intervals on a logarithmic scale."
        )
        if control is self.sources:
            return True
        if self.group.value == "all":
            ax.set_ylim(*self._full)
        else:
            ax.set_ylim(last + 0.5, first - 0.5)
        return False


class GrowthCalculator(Explorer):
    """What a steady growth rate implies over some years, against the fiction's claims."""

    def __init__(self, rate: float = 10.1, years: int = 12) -> None:
        self.rate = w.FloatSlider(
            value=rate, min=0, max=25, step=0.1, description="% a year", continuous_update=False
        )
        self.years = w.IntSlider(
            value=years, min=1, max=20, description="Years", continuous_update=False
        )
        self.multiple = w.HTML()
        figure = plots.compounding(rate, years)
        figure.axes[0].get_lines()[0].set_gid("path")
        super().__init__(figure, [self.rate, self.years], (self.multiple,))

    def update(self, control=None) -> bool:
        import numpy as np

        ax = self.figure.axes[0]
        line = ax.get_lines()[0]
        steps = np.arange(self.years.value + 1)
        line.set_data(1928 + steps, 100 * plots.implied_multiple(self.rate.value, steps))
        multiple = plots.implied_multiple(self.rate.value, self.years.value)
        self.heading.value = (
            f"<b>{self.rate.value:g}% a year for {self.years.value} years "
            f"multiplies output by {multiple:.2f}</b>"
        )
        ax.relim()
        ax.autoscale_view()
        self.multiple.value = f"Implied multiple: <b>{multiple:.2f}</b>"
        self.legend.value = (
            f'<span style="color:#0072B2">\u2501</span> {self.rate.value:g}% a year &nbsp; '
            + plots.legend_html(["000"])
            + " claims, converted with its own 1928 level"
        )
        self.figure.alt_text = (
            f"A growth path at {self.rate.value:g}% a year for {self.years.value} years, "
            f"reaching {multiple:.2f} times the start, beside the fiction's claims."
        )
        return False
