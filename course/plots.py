"""Figures for the lessons. Each function returns a matplotlib Figure; none displays anything.

Every document has one colour (Okabe-Ito, safe for colour-blind readers) *and* one marker and
line style, so series stay distinct in greyscale. Reference figures are black. Each figure
carries ``fig.alt_text`` (a sentence describing it for screen readers) and a caption line
crediting its sources; :func:`show` displays a figure with both.

>>> fig = membership()
>>> "party membership" in fig.alt_text.lower()
True
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

from course import data

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "STYLE",
    "membership",
    "output",
    "output_series",
    "output_levels",
    "mortality",
    "compounding",
    "show",
    "implied_multiple",
    "implied_rate",
]

# doc id -> (colour, marker, line style); Okabe-Ito palette, reference in black.
STYLE = {
    "000": ("#CC79A7", "D", ":"),
    "001": ("#E69F00", "o", "-"),
    "002": ("#56B4E9", "s", "--"),
    "003": ("#009E73", "^", "-."),
    "004": ("#D55E00", "v", (0, (5, 1))),
    "reference": ("#000000", "X", (0, (1, 1))),
}
MEMBERSHIP_MEASURES = ("members", "members_and_candidates")
# What each group of the mortality figure counts; never mixed on one row.
MORTALITY_GROUPS = {
    "famine deaths": ("famine_deaths", "collectivisation_deaths", "peasant_victims"),
    "people affected by famine": ("famine_affected",),
    "executions": ("executions",),
    "arrests and sent to camps": ("arrests", "sent_to_camps", "deportations"),
    "camp population and forced labour": ("camp_population", "forced_labourers"),
    "purge victims and death tolls": ("purge_victims", "death_toll"),
    "civil-war deaths": ("civil_war_deaths",),
}


def _figure(width: float = 7.0, height: float = 4.0) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=80, layout="constrained")
    fig.add_subplot()
    return fig


def _label(doc: str, documents: pd.DataFrame) -> str:
    row = documents.loc[doc]
    kind = "FICTION" if row["is_fiction"] else row["genre"]
    return f"doc {doc} ({kind})"


def _credit(docs, refs=()) -> str:
    parts = [f"documents {', '.join(sorted(set(docs)))}" if len(docs) else ""]
    if len(refs):
        parts.append(f"reference {', '.join(sorted(set(refs)))}")
    return "Sources: " + "; ".join(p for p in parts if p) + " (see course.cite and the data cards)."


def membership(start: float = 1917, end: float = 1941, log: bool = False) -> Figure:
    """Party membership as each document and the reference table state it.

    Args:
        start, end: the years shown.
        log: a logarithmic vertical axis (growth rates look like slopes).

    Returns:
        A Figure: one marked series per document, reference figures as black crosses,
        lower and upper bounds as arrows, ranges as bars.

    >>> membership(log=True).axes[0].get_yscale()
    'log'
    """
    docs = data.load("documents").set_index("id")
    rows = data.load("party_membership")
    rows = rows[rows["measure"].isin(MEMBERSHIP_MEASURES)]
    ref = data.load("reference")
    ref = ref[
        (ref["topic"] == "party_membership")
        & ref["measure"].isin(["members", "members_and_candidates"])
    ]
    fig = _figure()
    ax = fig.axes[0]
    for doc, group in rows.groupby("doc"):
        colour, marker, style = STYLE[doc]
        group = group.sort_values("year")
        _points(ax, group, colour, marker, style, _label(doc, docs), gid=doc)
    colour, marker, style = STYLE["reference"]
    _points(
        ax,
        ref.assign(year=ref["period"].map(data.decimal_year)),
        colour,
        marker,
        "none",
        "reference (official or archival)",
        gid="reference",
    )
    ax.set_xlim(start, end)
    ax.set_yscale("log" if log else "linear")
    ax.set_ylabel("members (persons)")
    ax.set_title("Party membership: who says how many?")
    ax.legend(fontsize="small", loc="upper left")
    ax.grid(alpha=0.3)
    fig.alt_text = (
        f"Party membership {start:g} to {end:g} on a {'logarithmic' if log else 'linear'} "
        f"scale: {len(rows)} figures from documents {', '.join(sorted(rows['doc'].unique()))} "
        f"as separately marked series, and {len(ref)} reference figures as black crosses."
    )
    fig.credit = _credit(rows["doc"], ref["id"])
    return fig


def _points(ax, rows, colour, marker, style, label, gid=None) -> None:
    """Point values as markers joined by a line; bounds as arrows; ranges as bars.

    Every artist drawn is tagged with ``gid`` so that an explorer can show or hide it in place.
    """
    point = rows[rows["low"].notna() & rows["high"].notna()]
    lower = rows[rows["high"].isna()]
    upper = rows[rows["low"].isna()]
    mid = (point["low"] + point["high"]) / 2
    artists = [
        ax.plot(
            point["year"],
            mid,
            color=colour,
            marker=marker,
            linestyle=style,
            label=label,
            markersize=7,
        )[0]
    ]
    ranged = point[point["low"] < point["high"]]
    if len(ranged):
        artists.append(
            ax.vlines(ranged["year"], ranged["low"], ranged["high"], color=colour, linewidth=3)
        )
    # carets: up for "at least", down for "at most"
    artists.append(
        ax.plot(
            lower["year"], lower["low"], color=colour, marker=6, linestyle="none", markersize=9
        )[0]
    )
    artists.append(
        ax.plot(
            upper["year"], upper["high"], color=colour, marker=7, linestyle="none", markersize=9
        )[0]
    )
    for artist in artists:
        artist.set_gid(gid)


def output_levels(base: str = "1913") -> pd.DataFrame:
    """Industrial output levels on one base (index: base year = 100), by document.

    Levels stated against 1913 or 'pre-war' (the Soviet statistical convention for 1913) are
    rebased to 1928 only with the same document's own 1928 level *of the same measure*
    (industrial output or national product, never one for the other); rows that cannot be
    converted are left out and listed in the frame's ``attrs["left_out"]``.

    Args:
        base: ``"1913"`` or ``"1928"``.

    Returns:
        A DataFrame with doc, id, year, low, high (index points) and is_fiction.

    >>> levels = output_levels("1928")
    >>> float(levels.query("doc == '000' and year == 1928")["low"].iloc[0])
    100.0
    """
    import pandas as pd

    if base not in ("1913", "1928"):
        raise ValueError(f"base must be '1913' or '1928', not {base!r}")
    frames = [data.load("industrial_output"), data.load("counterfactual")]
    rows = pd.concat(frames, ignore_index=True)
    rows = rows[
        rows["measure"].isin(["industrial_output", "gdp"])
        & rows["unit"].isin(["percent_of_base", "times"])
    ].copy()
    factor = rows["unit"].map({"percent_of_base": 1.0, "times": 100.0}).astype(float)
    rows["low"], rows["high"] = rows["low"] * factor, rows["high"] * factor
    rows["base"] = rows["base"].replace({"pre-war": "1913"})
    left_out = []
    if base == "1928":
        kept = []
        for _, group in rows.groupby(["doc", "measure"]):  # a bridge only within one series
            bridge = group[(group["period"] == "1928") & (group["base"] == "1913")]
            if bridge.empty:
                left_out += list(group["id"])
                continue
            level = float(bridge["low"].iloc[0])
            group = group.copy()
            group[["low", "high"]] = group[["low", "high"]] * 100 / level
            kept.append(group)
        rows = pd.concat(kept) if kept else rows.iloc[:0]
    result = rows[["doc", "id", "measure", "year", "low", "high", "is_fiction"]].reset_index(
        drop=True
    )
    result.attrs["left_out"] = left_out
    return result


def implied_multiple(rate_percent: float, years: float) -> float:
    """The multiple a constant annual growth rate gives over a number of years.

    >>> round(implied_multiple(10, 12), 2)
    3.14
    """
    return (1 + rate_percent / 100) ** years


def implied_rate(multiple: float, years: float) -> float:
    """The steady annual growth rate, in percent, that turns 1 into ``multiple`` in ``years``.

    The inverse of :func:`implied_multiple`: use it to put a claim such as "6.5 times in 13
    years" on the same footing as a claim stated in percent a year.

    >>> round(implied_rate(6.5, 13), 1)
    15.5
    """
    return (multiple ** (1 / years) - 1) * 100


def output(base: str = "1913", show_fiction: bool = True, show_reference: bool = True) -> Figure:
    """Industrial output as an index (base year = 100): documents against reference series.

    On the 1928 base the reference band is the Western recalculation (R19: 10-12% a year,
    1928-37) and the official multiple for June 1941 (R18); on the 1913 base the reference has no
    level to show, and the alt text says how many figures could not be put on the base.

    >>> fig = output("1928")
    >>> fig.axes[0].get_ylabel()
    'index (1928 = 100)'
    """
    fig = _figure()
    ax = fig.axes[0]
    levels = output_series(ax, base)
    for artist in ax.get_children():
        gid = artist.get_gid() or ""
        if (
            gid.endswith(":000")
            and not show_fiction
            or gid.endswith(":reference")
            and not (show_reference)
        ):
            artist.remove()
    if not show_fiction:
        levels = levels[~levels["is_fiction"]]
    refs = ["R18", "R19"] if show_reference and base == "1928" else []
    ax.axhline(100, color="0.4", linewidth=0.8)
    ax.set_xlim(1912, 1942)
    ax.set_ylabel(f"index ({base} = 100)")
    ax.set_title(f"Industrial output against {base}")
    ax.legend(fontsize="small", loc="upper left")
    ax.grid(alpha=0.3)
    fig.alt_text = output_alt_text(levels, base, bool(refs))
    fig.credit = _credit(levels["doc"], refs)
    return fig


def output_alt_text(levels: pd.DataFrame, base: str, reference: bool) -> str:
    """The alt text of an output figure showing ``levels`` on ``base``."""
    missing = levels.attrs.get("left_out", [])
    return (
        f"Industrial output as an index with {base} = 100, 1912 to 1942: {len(levels)} levels "
        f"stated by documents {', '.join(sorted(levels['doc'].unique())) or 'none'}"
        + (", with the reference growth band and 1941 multiple" if reference else "")
        + (f"; {len(missing)} figures cannot be put on this base" if missing else "")
        + "."
    )


def output_series(ax, base: str) -> pd.DataFrame:
    """Draw every document's output levels on ``base``, and the reference on the 1928 base.

    Artists are tagged ``"BASE:DOC"`` (and ``"1928:reference"``) so that an explorer can hold
    both bases in one axes and switch between them. Returns the levels drawn.
    """
    import numpy as np

    docs = data.load("documents").set_index("id")
    levels = output_levels(base)
    for doc, group in levels.groupby("doc"):
        colour, marker, style = STYLE[doc]
        _points(
            ax,
            group.sort_values("year"),
            colour,
            marker,
            style,
            _label(doc, docs),
            gid=f"{base}:{doc}",
        )
    if base == "1928":
        ref = data.load("reference").set_index("id")
        years = np.linspace(1928, 1937, 10)
        low, high = ref.loc["R19", "low"], ref.loc["R19", "high"]
        band = ax.fill_between(
            years,
            100 * implied_multiple(low, years - 1928),
            100 * implied_multiple(high, years - 1928),
            color="0.7",
            alpha=0.5,
            hatch="//",
            label="R19 Western recalculation, 10-12% a year",
        )
        colour, marker, _ = STYLE["reference"]
        point = ax.plot(
            [1941.5],
            [100 * ref.loc["R18", "low"]],
            color=colour,
            marker=marker,
            linestyle="none",
            markersize=9,
            label="R18 official multiple, 1928 to June 1941",
        )
        for artist in (band, *point):
            artist.set_gid("1928:reference")
    return levels


def mortality(
    groups: list[str] | None = None, docs: list[str] | None = None, show_reference: bool = True
) -> Figure:
    """Deaths and repression as intervals, grouped by what is counted, coloured by document.

    Args:
        groups: keys of :data:`MORTALITY_GROUPS` to show (default: all).
        docs: document ids to show (default: all).
        show_reference: add the reference table's archival and scholarly figures.

    Returns:
        A Figure with one horizontal line per claim (a logarithmic axis, since claims span
        from hundreds to tens of millions); open-ended claims have an arrow.

    >>> len(mortality(groups=["executions"]).axes[0].get_yticks()) > 0
    True
    """
    import pandas as pd
    from matplotlib.ticker import NullLocator

    groups = groups or list(MORTALITY_GROUPS)
    unknown = set(groups) - set(MORTALITY_GROUPS)
    if unknown:
        raise ValueError(f"unknown groups {sorted(unknown)}; choose from {list(MORTALITY_GROUPS)}")
    documents = data.load("documents").set_index("id")
    rows = data.load("mortality")
    rows = rows[rows["unit"] == "persons"]
    if docs is not None:
        rows = rows[rows["doc"].isin(docs)]
    lines = []
    for group in groups:
        chosen = rows[rows["measure"].isin(MORTALITY_GROUPS[group])]
        lines += [(group, r.doc, r.id, r.low, r.high, r.period) for r in chosen.itertuples()]
        if show_reference:
            lines += [
                (group, "reference", r.id, r.low, r.high, r.period)
                for r in _reference_mortality(group).itertuples()
            ]
    table = pd.DataFrame(lines, columns=["group", "doc", "id", "low", "high", "period"])
    height = max(2.5, 0.22 * len(table) + 1.2)
    fig = _figure(8.5, height)
    ax = fig.axes[0]
    table["y"] = range(len(table))
    for source, rows in table.groupby("doc", sort=False):
        colour, marker, style = STYLE[source]
        label = "reference" if source == "reference" else _label(source, documents)
        both = rows[rows["low"].notna() & rows["high"].notna()]
        lower = rows[rows["high"].isna()]
        upper = rows[rows["low"].isna()]
        # One artist per kind of mark and source, so an explorer redraws few artists.
        segments = ax.hlines(
            both["y"],
            both["low"],
            both["high"],
            color=colour,
            linestyle=style,
            linewidth=3,
            label=label,
        )
        ends = ax.plot(
            pd.concat([both["low"], both["high"]]),
            pd.concat([both["y"]] * 2),
            color=colour,
            marker=marker,
            linestyle="none",
        )
        at_least = ax.plot(
            lower["low"], lower["y"], color=colour, marker=5, markersize=9, linestyle="none"
        )  # caret right: "at least"
        at_most = ax.plot(
            upper["high"], upper["y"], color=colour, marker=4, markersize=9, linestyle="none"
        )  # caret left: "at most"
        for artist in (segments, *ends, *at_least, *at_most):
            artist.set_gid(source)
    labels = [f"{r.group}: {r.id} ({r.period})" for r in table.itertuples()]
    ax.set_yticks(range(len(table)), labels, fontsize=7)
    fig.claims = table  # the rows drawn, top to bottom
    fig.group_rows = {
        g: (rows.index.min(), rows.index.max()) for g, rows in table.groupby("group", sort=False)
    }
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("persons (logarithmic scale)")
    ax.set_title("Counting the dead: each line is one claim")
    if len(table):
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.grid(alpha=0.3, axis="x")
    fig.alt_text = (
        f"{len(table)} claims about deaths and repression, grouped as {', '.join(groups)}; "
        "each drawn as a horizontal interval on a logarithmic scale, coloured and marked by "
        "document, with reference figures in black."
    )
    fig.credit = _credit(
        table.loc[table["doc"] != "reference", "doc"], table.loc[table["doc"] == "reference", "id"]
    )
    return fig


def _reference_mortality(group: str) -> pd.DataFrame:
    ref = data.load("reference")
    if group == "famine deaths":
        return ref[ref["topic"] == "famine"]
    if group == "executions":
        return ref[ref["measure"] == "executions"]
    if group == "camp population and forced labour":
        return ref[ref["measure"] == "camp_and_exile_population"]
    return ref.iloc[:0]


def compounding(rate_percent: float = 10.1, years: int = 12, start: int = 1928) -> Figure:
    """A counterfactual calculator: what a steady growth rate implies, set against claims.

    Args:
        rate_percent: annual growth in percent.
        years: how many years it compounds.
        start: the first year (index 100).

    Returns:
        A Figure with the implied path and, as pink diamonds, the fiction's (doc 000) claimed
        multiples of 1913 for its final year, each converted with the fiction's own 1928 level.

    >>> fig = compounding(6.4, 12)
    >>> "6.4% a year" in fig.alt_text
    True
    """
    import numpy as np

    fig = _figure()
    ax = fig.axes[0]
    steps = np.arange(years + 1)
    ax.plot(
        start + steps,
        100 * implied_multiple(rate_percent, steps),
        color="#0072B2",
        linewidth=2,
        label=f"{rate_percent:g}% a year",
    )
    levels = output_levels("1928")
    claims = levels[levels["is_fiction"] & (levels["year"] > start)]
    colour, marker, _ = STYLE["000"]
    ax.plot(
        claims["year"],
        claims["low"],
        color=colour,
        marker=marker,
        linestyle="none",
        markersize=9,
        label="the fiction's claims (doc 000, FICTION)",
    )
    multiple = implied_multiple(rate_percent, years)
    ax.set_xlabel("year")
    ax.set_ylabel(f"index ({start} = 100)")
    ax.set_title(f"{rate_percent:g}% a year for {years} years multiplies output by {multiple:.2f}")
    ax.legend(fontsize="small", loc="upper left")
    ax.grid(alpha=0.3)
    fig.alt_text = (
        f"A growth path at {rate_percent:g}% a year from {start} for {years} years, reaching "
        f"{multiple:.2f} times the start, beside {len(claims)} claims from the fiction."
    )
    fig.credit = _credit(claims["doc"])
    return fig


def png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def legend_html(keys: list[str]) -> str:
    """An HTML legend for document ids (and ``"reference"``): colour, marker and name.

    >>> "doc 001" in legend_html(["001"])
    True
    """
    from html import escape

    symbols = {
        "o": "\u25cf",
        "s": "\u25a0",
        "^": "\u25b2",
        "v": "\u25bc",
        "D": "\u25c6",
        "X": "\u2716",
    }
    documents = data.load("documents").set_index("id")
    items = []
    for key in keys:
        colour, marker, _ = STYLE[key]
        name = "reference" if key == "reference" else _label(key, documents)
        items.append(f'<span style="color:{colour}">{symbols[marker]}</span> {escape(name)}')
    return " &nbsp; ".join(items)


def html(fig: Figure) -> str:
    """An HTML ``<figure>`` with the image, its alt text and its source credit."""
    from html import escape

    encoded = base64.b64encode(png(fig)).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{encoded}" alt="{escape(fig.alt_text)}">'
        f"<figcaption>{escape(getattr(fig, 'credit', ''))}</figcaption></figure>"
    )


def show(fig: Figure) -> None:
    """Display a figure in a notebook with its alt text and source credit."""
    from IPython.display import HTML, display

    display(HTML(html(fig)))
