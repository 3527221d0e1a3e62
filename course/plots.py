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
    kind = "FICTION" if documents.at[doc, "is_fiction"] else documents.at[doc, "genre"]
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


# ------------------------------------------------------------------ claims set against the records


def _intervals(ax, rows, colour, marker, style, gid, fill="full", label=None) -> list:
    """Draw claims as horizontal intervals at ``rows["y"]``: points, ranges, and bounds as carets.

    One artist per kind of mark, all tagged ``gid``, so that an explorer redraws few artists.
    Returns the artists drawn.
    """
    import pandas as pd

    both = rows[rows["low"].notna() & rows["high"].notna()]
    lower = rows[rows["high"].isna()]
    upper = rows[rows["low"].isna()]
    artists = [
        ax.hlines(both["y"], both["low"], both["high"], color=colour, linestyle=style, linewidth=3)
    ]
    artists += ax.plot(
        pd.concat([both["low"], both["high"]]),
        pd.concat([both["y"]] * 2),
        color=colour,
        marker=marker,
        fillstyle=fill,
        markersize=7,
        linestyle="none",
        label=label,
    )
    artists += ax.plot(
        lower["low"], lower["y"], color=colour, marker=5, markersize=9, linestyle="none"
    )  # caret right: "at least"
    artists += ax.plot(
        upper["high"], upper["y"], color=colour, marker=4, markersize=9, linestyle="none"
    )  # caret left: "at most"
    for artist in artists:
        artist.set_gid(gid)
    return artists


def _name(measure: str) -> str:
    return measure.replace("_", " ")


# What each question of lesson 07 sets side by side: the documents' claims (mortality and
# party_membership ids) and the reference rows that bear on them.
ARCHIVE_QUESTIONS = {
    "camps: stock and flow": {
        "claims": ["mo-004", "mo-036", "mo-037", "mo-028", "mo-032"],
        "reference": ["R17", "R50", "R51", "R52", "R46", "R53"],
    },
    "1937-38: sentenced and shot by operation": {
        "claims": ["mo-034", "mo-006", "mo-030", "mo-031"],
        "reference": [
            "R24", "R26", "R25", "R27", "R28", "R29", "R30",
            "R33", "R34", "R14", "R15", "R16", "R31", "R32",
        ],
    },
    "the party elite: the 17th Congress": {
        "claims": ["pm-030", "mo-007", "mo-008"],
        "reference": ["R71", "R72"],
    },
    "deaths in detention and in repression": {
        "claims": ["mo-011"],
        "reference": ["R48", "R49", "R54", "R35", "R36"],
    },
    "famine by region": {
        "claims": ["mo-003", "mo-026", "mo-038"],
        "reference": ["R41", "R42", "R11", "R37", "R38", "R39", "R40", "R12",
                      "R13", "R43", "R44", "R45", "R47"],
    },
}  # fmt: skip


def archive_rows(questions: list[str] | None = None) -> pd.DataFrame:
    """The claims and reference rows of :data:`ARCHIVE_QUESTIONS`, one row per line drawn.

    Args:
        questions: keys of :data:`ARCHIVE_QUESTIONS` (default: all, in order).

    Returns:
        A DataFrame with question, source (a document id or ``"reference"``), id, label, low,
        high, period, kind (the document's genre, or the reference row's kind) and
        verification (``"document"`` for a document's claim), in drawing order.

    >>> rows = archive_rows(["the party elite: the 17th Congress"])
    >>> list(rows["id"])
    ['pm-030', 'mo-007', 'mo-008', 'R71', 'R72']
    """
    import pandas as pd

    questions = questions or list(ARCHIVE_QUESTIONS)
    unknown = set(questions) - set(ARCHIVE_QUESTIONS)
    if unknown:
        raise ValueError(
            f"unknown questions {sorted(unknown)}; choose from {list(ARCHIVE_QUESTIONS)}"
        )
    documents = data.load("documents").set_index("id")
    figures = pd.concat([data.load("mortality"), data.load("party_membership")]).set_index("id")
    reference = data.load("reference").set_index("id")
    lines = []
    for question in questions:
        for row_id in ARCHIVE_QUESTIONS[question]["claims"]:
            r = figures.loc[row_id]
            label = f"{row_id} (doc {r['doc']}): {_name(r['measure'])}, {r['period']}"
            genre = documents.loc[r["doc"], "genre"]
            lines.append((question, r["doc"], row_id, label, r["low"], r["high"], r["period"],
                          genre, "document"))  # fmt: skip
        for row_id in ARCHIVE_QUESTIONS[question]["reference"]:
            r = reference.loc[row_id]
            label = f"{row_id} ({r['kind']}): {_name(r['measure'])}, {r['period']}"
            lines.append((question, "reference", row_id, label, r["low"], r["high"], r["period"],
                          r["kind"], r["verification"]))  # fmt: skip
    columns = ["question", "source", "id", "label", "low", "high", "period", "kind", "verification"]
    table = pd.DataFrame(lines, columns=columns)
    return table.astype({"low": "Float64", "high": "Float64"})


def _claim_rows(fig: Figure, table: pd.DataFrame, title: str, by: str) -> dict:
    """Finish a figure of one claim per row on a log scale; return each group's first and last
    row, which an explorer zooms to."""
    from matplotlib.ticker import NullLocator

    ax = fig.axes[0]
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("persons (logarithmic scale)")
    ax.set_title(title)
    if len(table):
        ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.grid(alpha=0.3, axis="x")
    fig.claims = table
    return {g: (rows.index.min(), rows.index.max()) for g, rows in table.groupby(by, sort=False)}


def archives(questions: list[str] | str | None = None, show_documents: bool = True) -> Figure:
    """What the archives show: the documents' claims against the reference rows, per question.

    Args:
        questions: one key of :data:`ARCHIVE_QUESTIONS` or a list of them (default: all).
        show_documents: draw the documents' claims as well as the reference rows.

    Returns:
        A Figure with one horizontal line per claim on a logarithmic axis, grouped by question.
        Documents keep their colours and markers; reference rows are black, with a filled cross
        where the figure was read in the cited work or derived from such figures, and a hollow
        one where it was read only in a page citing that work ("as cited in").
        ``fig.claims`` holds the rows drawn and ``fig.question_rows`` each question's first and
        last row.

    >>> fig = archives("famine by region")
    >>> "famine by region" in fig.alt_text
    True
    """

    if isinstance(questions, str):
        questions = [questions]
    table = archive_rows(questions)
    if not show_documents:
        table = table[table["source"] == "reference"].reset_index(drop=True)
    table["y"] = range(len(table))
    documents = data.load("documents").set_index("id")
    fig = _figure(8.5, max(2.5, 0.22 * len(table) + 1.2))
    ax = fig.axes[0]
    for (source, verification), rows in table.groupby(["source", "verification"], sort=False):
        colour, marker, style = STYLE[source]
        if source == "reference":
            hollow = verification == "secondary"
            label = "reference, " + ("as cited in a secondary page" if hollow else verification)
            _intervals(ax, rows, colour, marker, "-", f"reference|{verification}",
                       fill="none" if hollow else "full", label=label)  # fmt: skip
        else:
            _intervals(ax, rows, colour, marker, style, source, label=_label(source, documents))
    ax.set_yticks(range(len(table)), list(table["label"]), fontsize=7)
    title = "What the archives show: documents' claims against the reference rows"
    fig.question_rows = _claim_rows(fig, table, title, "question")
    fig.alt_text = archives_alt_text(table)
    fig.credit = _credit(
        table.loc[table["source"] != "reference", "source"],
        table.loc[table["source"] == "reference", "id"],
    )
    return fig


def archives_alt_text(table: pd.DataFrame) -> str:
    """The alt text of an :func:`archives` figure showing the rows of ``table``."""
    documents = table[table["source"] != "reference"]
    secondary = (table["verification"] == "secondary").sum()
    return (
        f"{len(table)} figures on {', '.join(table['question'].unique()) or 'no question'}: "
        f"{len(documents)} claims from documents "
        f"{', '.join(sorted(documents['source'].unique())) or 'none'} "
        f"and {len(table) - len(documents)} reference rows ({secondary} read only as cited in a "
        "secondary page, drawn hollow), each a horizontal interval on a logarithmic scale; "
        "arrows mark 'at least' and 'at most'."
    )


# Who a document credits for a figure: the first source named in its attributed_to column.
CREDITS = ("own voice", "named authority", "unnamed")
OWN_VOICE = {
    "George Collins",
    "fan-site author (fiction)",
    "forum author",
    "magazine writer",
    "blog author",
    "blog author (unmarked quotation, no note number)",
    "editor of the online republication (bracketed note)",
}
CREDIT_STYLE = {
    "own voice": ("-", "full"),
    "named authority": ("--", "none"),
    "unnamed": (":", "top"),
}
CLAIM_GROUPS = {
    **MORTALITY_GROUPS,
    "party membership": MEMBERSHIP_MEASURES,
    "the Opposition and its supporters": (
        "opposition_supporters",
        "opposition_meeting_attendance",
        "opposition_signatories",
        "expelled",
    ),
}


def credited(attributed_to: str) -> str:
    """Whom a document credits for a figure: own voice, a named authority, or an unnamed source.

    The author (or editor) speaking for the document is its own voice; a figure passed on from
    someone the text does not name ("some estimates", "a factory worker") is unnamed, even when
    a named writer reports it; anything else credits a named authority.

    >>> credited("George Collins"), credited("unnamed estimates, reported by forum author")
    ('own voice', 'unnamed')
    >>> credited("Victor Serge, From Lenin to Stalin, page 39")
    'named authority'
    """
    if attributed_to in OWN_VOICE:
        return "own voice"
    if attributed_to.startswith(("unnamed", "a ", "poem")):
        return "unnamed"
    return "named authority"


def attribution_rows(groups: list[str] | None = None) -> pd.DataFrame:
    """The documents' claims in :data:`CLAIM_GROUPS`, with whom each credits, in drawing order.

    >>> rows = attribution_rows(["people affected by famine"])
    >>> rows[["id", "doc", "credit"]].values.tolist()
    [['mo-025', '003', 'named authority']]
    """
    import pandas as pd

    groups = groups or list(CLAIM_GROUPS)
    unknown = set(groups) - set(CLAIM_GROUPS)
    if unknown:
        raise ValueError(f"unknown groups {sorted(unknown)}; choose from {list(CLAIM_GROUPS)}")
    rows = pd.concat([data.load("mortality"), data.load("party_membership")], ignore_index=True)
    rows = rows[rows["unit"] == "persons"]
    frames = []
    for group in groups:
        chosen = rows[rows["measure"].isin(CLAIM_GROUPS[group])]
        chosen = chosen.sort_values(["doc", "year", "id"]).assign(group=group)
        frames.append(chosen)
    table = pd.concat(frames, ignore_index=True)
    table["credit"] = table["attributed_to"].map(credited)
    return table[["group", "doc", "id", "measure", "period", "low", "high", "qualifier",
                  "attributed_to", "credit", "quote"]]  # fmt: skip


def attribution(groups: list[str] | str | None = None) -> Figure:
    """Each document's claims for a measure group, and whom the document credits for each.

    Args:
        groups: one key of :data:`CLAIM_GROUPS` or a list of them (default: all).

    Returns:
        A Figure with one horizontal line per claim (logarithmic axis). Colour and marker name
        the document; line style and marker fill name the credit: solid and filled for the
        document's own voice, dashed and hollow for a named authority, dotted and half-filled
        for an unnamed source. Each row's label also says the credit. ``fig.claims`` holds the
        rows drawn, ``fig.group_rows`` each group's first and last row.

    >>> fig = attribution("executions")
    >>> "unnamed" in fig.alt_text
    True
    """

    if isinstance(groups, str):
        groups = [groups]
    table = attribution_rows(groups)
    table["y"] = range(len(table))
    documents = data.load("documents").set_index("id")
    fig = _figure(8.5, max(2.5, 0.22 * len(table) + 1.2))
    ax = fig.axes[0]
    for (doc, credit), rows in table.groupby(["doc", "credit"], sort=False):
        colour, marker, _ = STYLE[doc]
        style, fill = CREDIT_STYLE[credit]
        _intervals(ax, rows, colour, marker, style, f"{doc}|{credit}", fill=fill,
                   label=f"{_label(doc, documents)}, {credit}")  # fmt: skip
    labels = [
        f"{r.id} ({r.doc}, {r.credit}): {_name(r.measure)}, {r.period}" for r in table.itertuples()
    ]
    ax.set_yticks(range(len(table)), labels, fontsize=7)
    title = "Who says so? Each claim, and whom the document credits for it"
    fig.group_rows = _claim_rows(fig, table, title, "group")
    fig.alt_text = attribution_alt_text(table)
    fig.credit = _credit(table["doc"])
    return fig


def attribution_alt_text(table: pd.DataFrame) -> str:
    """The alt text of an :func:`attribution` figure showing the rows of ``table``."""
    counts = table["credit"].value_counts()
    credits = ", ".join(f"{counts.get(c, 0)} {c}" for c in CREDITS)
    return (
        f"{len(table)} claims on {', '.join(table['group'].unique()) or 'nothing'} from documents "
        f"{', '.join(sorted(table['doc'].unique())) or 'none'}, as horizontal intervals on a "
        f"logarithmic scale; credited to: {credits} (solid, dashed and dotted lines)."
    )


# The dated events each interpretation of Stalin's rise emphasises (lesson 05), with the row
# that dates them: a timeline row (tl-) or a reference row (R).
SCHOOL_EVENTS = {
    "continuity (liberal and totalitarian)": [
        ("tl-047", "ban on factions, Tenth Congress"),
        ("tl-053", "Kronstadt uprising suppressed"),
    ],
    "degeneration (Trotskyist)": [
        ("tl-081", "'Lenin levy'"),
        ("R04", "638,070 admitted 1924-25"),
    ],
    "revisionist": [
        ("R05", "1933 peak, before the purge"),
        ("R70", "17th Congress"),
    ],
    "archival": [("R24", "the mass operations (Order No. 00447 and the national operations)")],
}
SCHOOL_STYLE = {
    "continuity (liberal and totalitarian)": ("#0072B2", "-", "//"),
    "degeneration (Trotskyist)": ("#882255", "--", "\\\\"),
    "revisionist": ("0.35", "-.", ".."),
    "archival": ("#44AA99", ":", "xx"),
}


def school_events(schools: list[str] | None = None) -> pd.DataFrame:
    """The dated events of :data:`SCHOOL_EVENTS`, with the start and end year of each.

    Dates come from the ``period`` of a reference row or the ``date`` of a timeline row.

    >>> school_events(["degeneration (Trotskyist)"])[["id", "date"]].values.tolist()
    [['tl-081', '1924-02/1924-05'], ['R04', '1924/1925']]
    """
    import pandas as pd

    schools = schools or list(SCHOOL_EVENTS)
    reference = data.load("reference").set_index("id")
    timeline = data.load("timeline").set_index("id")
    lines = []
    for school in schools:
        for row_id, what in SCHOOL_EVENTS[school]:
            date = (
                reference.loc[row_id, "period"]
                if row_id.startswith("R")
                else timeline.loc[row_id, "date"]
            )
            first, _, last = date.partition("/")
            start = data.decimal_year(first)
            end = _year_end(last or first)
            lines.append((school, row_id, what, date, start, end))
    return pd.DataFrame(lines, columns=["school", "id", "event", "date", "start", "end"])


def _year_end(period: str) -> float:
    """The decimal year at which a period (YYYY, YYYY-MM or YYYY-MM-DD) ends."""
    parts = period.split("-")
    if len(parts) == 1:
        return float(parts[0]) + 1
    if len(parts) == 2:
        return float(parts[0]) + int(parts[1]) / 12
    return data.decimal_year(period)


def schools(interpretations: list[str] | None = None, log: bool = False) -> Figure:
    """Party membership, 1917-1941, with the dated events each interpretation emphasises.

    Args:
        interpretations: keys of :data:`SCHOOL_EVENTS` to mark (default: all).
        log: a logarithmic vertical axis.

    Returns:
        The :func:`membership` figure (documents' claims and the reference rows R01-R08 and
        R20-R23, black crosses), with the candidates of R21 as a hollow black square and, for
        each interpretation, its events as vertical lines (a dated event) or hatched bands (an
        event over months), in the interpretation's colour, line style and hatch, labelled with
        the row that dates them. Event artists are tagged ``"school:NAME"``.

    >>> fig = schools(["revisionist"])
    >>> "R05" in fig.alt_text
    True
    """
    interpretations = interpretations if interpretations is not None else list(SCHOOL_EVENTS)
    fig = membership(1917, 1941.5, log)
    ax = fig.axes[0]
    reference = data.load("reference").set_index("id")
    colour, _, _ = STYLE["reference"]
    candidates = ax.plot(
        [data.decimal_year(reference.loc["R21", "period"])],
        [reference.loc["R21", "low"]],
        color=colour,
        marker="s",
        fillstyle="none",
        markersize=8,
        linestyle="none",
        label="R21 candidates only (official)",
    )
    candidates[0].set_gid("reference")
    events = school_events(interpretations)
    at_top = ax.get_xaxis_transform()  # x in years, y in axes fractions: any scale
    for row in events.itertuples():
        colour, style, hatch = SCHOOL_STYLE[row.school]
        if "/" in row.date:  # an event over months: a band
            artist = ax.axvspan(row.start, row.end, facecolor="none", edgecolor=colour,
                                hatch=hatch, linestyle=style, linewidth=1.2)  # fmt: skip
        else:
            artist = ax.axvline(row.start, color=colour, linestyle=style, linewidth=1.8)
        text = ax.text(row.start, 0.99, f" {row.id}", rotation=90, va="top", ha="left",
                       fontsize=7, color=colour, transform=at_top)  # fmt: skip
        for item in (artist, text):
            item.set_gid(f"school:{row.school}")
    ax.set_title("Party membership and the events each interpretation emphasises")
    fig.events = events
    fig.alt_text = schools_alt_text(events, log)
    claims = data.load("party_membership")
    claims = claims[claims["measure"].isin(MEMBERSHIP_MEASURES)]
    dated_by = list(events["id"])
    refs = ["R01", "R02", "R03", "R05", "R06", "R07", "R08", "R20", "R21", "R22", "R23"]
    fig.credit = _credit(claims["doc"], refs + [i for i in dated_by if i.startswith("R")])
    timeline_ids = [i for i in dated_by if i.startswith("tl-")]
    if timeline_ids:
        fig.credit += f" Event dates from timeline rows {', '.join(timeline_ids)}."
    return fig


def schools_alt_text(events: pd.DataFrame, log: bool) -> str:
    """The alt text of a :func:`schools` figure marking ``events``."""
    marked = "; ".join(
        f"{school}: " + ", ".join(f"{r.event} ({r.id}, {r.date})" for r in rows.itertuples())
        for school, rows in events.groupby("school", sort=False)
    )
    return (
        f"Party membership 1917 to 1941 on a {'logarithmic' if log else 'linear'} scale, "
        "documents' figures as marked series and reference rows as black crosses"
        + (f", with the events each interpretation emphasises marked: {marked}." if marked else ".")
    )
