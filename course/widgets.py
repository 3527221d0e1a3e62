"""Interactive explorers: thin ipywidgets wrappers over :mod:`course.plots`.

Each explorer draws its figure once and, when a control moves, changes that figure in place
(visibility, limits, scale, line data) and re-renders it into the same image widget. Text that
does not need to be pixels (title, legend, the list of claims shown) lives in HTML beside the
image, which keeps a re-render within tens of milliseconds. The explorer blits: it keeps the
rendered empty axes (ticks, tick labels, grid) of the last few views it showed, keyed by the
view (limits, scales, axis labels), so a re-render of a view already seen restores those
pixels and draws just the data; rendering tick-label text is most of the cost of a new view.
The figure's alt text is kept in step and shown under the image.

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

__all__ = [
    "MembershipExplorer",
    "OutputExplorer",
    "MortalityExplorer",
    "GrowthCalculator",
    "ArchivesExplorer",
    "ClaimsExplorer",
    "SchoolsExplorer",
]


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
        figure.get_layout_engine().execute(figure)  # settle the layout once (no pixels needed)
        figure.set_layout_engine("none")  # and freeze it
        self._backgrounds: dict[tuple, object] = {}  # view -> rendered empty axes, oldest first
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
        self.update(change["owner"])
        self.render()

    def update(self, control: w.Widget | None = None) -> None:
        """Apply the controls to the figure."""

    def _data_artists(self):
        return [a for a in self.figure.axes[0].get_children() if a.get_gid()]

    def _view(self) -> tuple:
        """All that the empty axes depend on; explorers change nothing else but data artists."""
        ax = self.figure.axes[0]
        return (ax.get_xlim(), ax.get_ylim(), ax.get_xscale(), ax.get_yscale(),
                ax.get_xlabel(), ax.get_ylabel())  # fmt: skip

    def render(self) -> None:
        """Re-render the figure into the image widget, and refresh the text around it."""
        import PIL.Image

        canvas = self.figure.canvas
        ax = self.figure.axes[0]
        view = self._view()
        background = self._backgrounds.pop(view, None)
        if background is None:  # a new view: render the axes without the data, and keep them
            shown = [(a, a.get_visible()) for a in self._data_artists()]
            for artist, _ in shown:
                artist.set_visible(False)
            canvas.draw()
            background = canvas.copy_from_bbox(self.figure.bbox)
            for artist, visible in shown:
                artist.set_visible(visible)
            if len(self._backgrounds) >= 8:  # under 1 MB each
                del self._backgrounds[next(iter(self._backgrounds))]
        else:
            canvas.restore_region(background)
        self._backgrounds[view] = background  # the most recently shown last
        for artist in self._data_artists():
            if artist.get_visible():
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

    def update(self, control=None) -> None:
        ax = self.figure.axes[0]
        for artist in self._data_artists():
            artist.set_visible(artist.get_gid() in self.series.value)
        self.legend.value = plots.legend_html(list(self.series.value))
        scale = "log" if self.log.value else "linear"
        self.figure.alt_text = (
            f"Party membership {self.years.value[0]} to {self.years.value[1]} on a {scale} "
            f"scale, showing {', '.join(self.series.value) or 'no series'}."
        )
        ax.set_xlim(*self.years.value)
        if ax.get_yscale() != scale:
            ax.set_yscale(scale)  # resets the axis' ticks: make them plain again
            self._lean()


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

    def update(self, control=None) -> None:
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
        ax.set_ylim(*self._limits[base])
        ax.set_ylabel(f"index ({base} = 100)")


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

    def update(self, control=None) -> None:
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
        if self.group.value == "all":
            ax.set_ylim(*self._full)
        else:
            ax.set_ylim(last + 0.5, first - 0.5)


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

    def update(self, control=None) -> None:
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


def _checked(verification: str) -> str:
    return "as cited in a secondary page" if verification == "secondary" else verification


class _ClaimList(Explorer):
    """An explorer of one claim per row, with the claims it shows listed under the figure."""

    def __init__(self, figure, controls: list[w.Widget]) -> None:
        self.claims = w.HTML()
        self._labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
        figure.set_size_inches(7.5, 4.5)
        super().__init__(figure, controls)

    @property
    def widget(self) -> w.Widget:
        return w.VBox([super().widget, self.claims])

    def _show_rows(self, first: int, last: int) -> None:
        """Show rows ``first`` to ``last``, with the x range they need.

        The axis keeps the ticks of these rows only: those outside the view are never drawn,
        but matplotlib would still place and label every one of them on each render.
        """
        import numpy as np

        ax = self.figure.axes[0]
        shown = self.figure.claims.iloc[first : last + 1]
        values = shown[["low", "high"]].to_numpy(dtype=float, na_value=np.nan).ravel()
        values = values[values > 0]
        low, high = (values.min(), values.max()) if len(values) else (1.0, 10.0)
        ax.set_yticks(range(first, last + 1), self._labels[first : last + 1])
        ax.set_ylim(last + 0.5, first - 0.5)
        ax.set_xlim(low / 2.5, high * 2.5)


class ArchivesExplorer(_ClaimList):
    """What the archives show: for one question, the documents' claims against reference rows.

    Choose a question (camps: stock and flow; 1937-38 by operation; the party elite; deaths in
    detention; famine by region), which sources to show, and whether to show the reference
    rows read only in a page that cites their source (drawn hollow).

    >>> explorer = ArchivesExplorer()
    >>> explorer.question.value = "famine by region"
    >>> "famine by region" in explorer.figure.alt_text
    True
    >>> explorer.secondary.value = False
    >>> "R13" in explorer.claims.value
    False
    """

    def __init__(self, question: str | None = None) -> None:
        figure = plots.archives()
        questions = list(figure.question_rows)
        self.question = w.Dropdown(
            options=questions, value=question or questions[0], description="Question"
        )
        sources = sorted(set(figure.claims["source"]) - {"reference"}) + ["reference"]
        self.sources = _picker(sources, "Sources")
        self.secondary = w.Checkbox(value=True, description="rows read only 'as cited in'")
        super().__init__(figure, [self.question, self.sources, self.secondary])

    def update(self, control=None) -> None:
        for artist in self._data_artists():
            source, _, verification = artist.get_gid().partition("|")
            artist.set_visible(
                source in self.sources.value
                and (verification != "secondary" or self.secondary.value)
            )
        first, last = self.figure.question_rows[self.question.value]
        rows = self.figure.claims.iloc[first : last + 1]
        shown = rows[
            rows["source"].isin(self.sources.value)
            & ((rows["verification"] != "secondary") | self.secondary.value)
        ]
        self.claims.value = (
            "<small>Rows shown: "
            + escape(
                "; ".join(
                    f"{r.id} ({r.source if r.source == 'reference' else 'doc ' + r.source}, "
                    f"{r.kind}, {_checked(r.verification)})"
                    for r in shown.itertuples()
                )
                or "none"
            )
            + "</small>"
        )
        docs = [s for s in self.sources.value if s != "reference"]
        self.legend.value = plots.legend_html(
            docs + (["reference"] if "reference" in self.sources.value else [])
        ) + (
            " (filled: read in the cited work or derived; hollow: as cited in a secondary page)"
            if "reference" in self.sources.value
            else ""
        )
        self.heading.value = f"<b>What the archives show: {escape(self.question.value)}</b>"
        self.figure.alt_text = plots.archives_alt_text(shown)
        if control is self.question or control is None:
            self._show_rows(first, last)


class ClaimsExplorer(_ClaimList):
    """Reading partisan sources: each document's claims for a measure group, and whom it credits.

    Colour and marker name the document; line style and marker fill name the credit (solid and
    filled: the document's own voice; dashed and hollow: a named authority; dotted and
    half-filled: an unnamed source such as "some estimates"). Choose the group, the documents
    and the kinds of credit to show.

    >>> explorer = ClaimsExplorer()
    >>> explorer.group.value = "executions"
    >>> explorer.credits.value = ("unnamed",)
    >>> "mo-014" in explorer.claims.value, "mo-041" in explorer.claims.value
    (True, False)
    """

    def __init__(self, group: str | None = None) -> None:
        figure = plots.attribution()
        groups = list(figure.group_rows)
        self.group = w.Dropdown(options=groups, value=group or groups[0], description="Counting")
        self.sources = _picker(sorted(figure.claims["doc"].unique()), "Documents")
        self.credits = _picker(list(plots.CREDITS), "Credited to")
        super().__init__(figure, [self.group, self.sources, self.credits])

    def update(self, control=None) -> None:
        for artist in self._data_artists():
            doc, _, credit = artist.get_gid().partition("|")
            artist.set_visible(doc in self.sources.value and credit in self.credits.value)
        first, last = self.figure.group_rows[self.group.value]
        rows = self.figure.claims.iloc[first : last + 1]
        shown = rows[rows["doc"].isin(self.sources.value) & rows["credit"].isin(self.credits.value)]
        self.claims.value = (
            "<small>Claims shown: "
            + escape(
                "; ".join(
                    f"{r.id} (doc {r.doc}, {r.credit}: {r.attributed_to})"
                    for r in shown.itertuples()
                )
                or "none"
            )
            + "</small>"
        )
        self.legend.value = (
            plots.legend_html(list(self.sources.value))
            + " &nbsp; credit: \u2501 filled, own voice; \u254d hollow, named authority;"
            " \u2508 half-filled, unnamed"
        )
        self.heading.value = f"<b>Who says so? {escape(self.group.value)}</b>"
        self.figure.alt_text = plots.attribution_alt_text(shown.assign(group=self.group.value))
        if control is self.group or control is None:
            self._show_rows(first, last)


class SchoolsExplorer(Explorer):
    """Why Stalin? Party membership 1917-1941 and the dated events each interpretation stresses.

    One toggle per interpretation (continuity, degeneration, revisionist, archival) marks its
    events, dated by timeline or reference rows; a further toggle switches to a log scale.

    >>> explorer = SchoolsExplorer()
    >>> explorer.toggles["revisionist"].value = True
    >>> "R05" in explorer.figure.alt_text and "tl-081" not in explorer.figure.alt_text
    True
    """

    def __init__(self, log: bool = False) -> None:
        figure = plots.schools(log=log)
        self.toggles = {
            school: w.ToggleButton(
                value=False, description=school.split(" (")[0].capitalize(), tooltip=school
            )
            for school in plots.SCHOOL_EVENTS
        }
        self.log = w.ToggleButton(value=log, description="Log scale")
        self.events = w.HTML()
        super().__init__(figure, [*self.toggles.values(), self.log])

    @property
    def widget(self) -> w.Widget:
        return w.VBox([super().widget, self.events])

    def update(self, control=None) -> None:
        ax = self.figure.axes[0]
        chosen = [school for school, toggle in self.toggles.items() if toggle.value]
        for artist in self._data_artists():
            gid = artist.get_gid()
            if gid.startswith("school:"):
                artist.set_visible(gid.removeprefix("school:") in chosen)
        events = self.figure.events[self.figure.events["school"].isin(chosen)]
        self.events.value = (
            "<small>"
            + (
                "<br>".join(
                    f"<b>{escape(r.school)}</b>: {escape(r.event)} ({r.id}, {r.date})"
                    for r in events.itertuples()
                )
                or "Switch on an interpretation to mark the events it emphasises."
            )
            + "</small>"
        )
        styles = {"-": "solid", "--": "dashed", "-.": "dash-dot", ":": "dotted"}
        self.legend.value = (
            plots.legend_html(["001", "003", "reference"])
            + "".join(
                f' &nbsp; <span style="color:{plots.SCHOOL_STYLE[s][0]}">\u2503</span> '
                f"{escape(s)} ({styles[plots.SCHOOL_STYLE[s][1]]})"
                for s in chosen
            )
            + " &nbsp; \u25a1 R21 candidates only"
        )
        scale = "log" if self.log.value else "linear"
        self.figure.alt_text = plots.schools_alt_text(events, self.log.value)
        if ax.get_yscale() != scale:
            ax.set_yscale(scale)  # resets the axis' ticks: make them plain again
            self._lean()
