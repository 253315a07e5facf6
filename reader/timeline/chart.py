"""The chart above the facets: events per year, each event once, stacked by its first domain,
as numbers for inline SVG.

Geometry and words only; the markup is templates/jinja2/reader/timeline_chart.html (no script,
no CDN). What is counted is ``facets.chart_counts``'s to say.
"""

from __future__ import annotations

from dataclasses import dataclass

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
NO_DOMAIN = ("No domain", "#999999")  # an event tagged with none: counted all the same


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass
class LegendItem:
    x: float
    y: float
    colour: str
    label: str
    text_x: float
    text_y: float


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    legend: list[LegendItem]
    labels: list[tuple[float, str]]  # x, year
    axis_y: float
    plot_left: float
    plot_right: float
    plot_top: float
    label_x: float  # right edge of the y-axis labels
    label_y: float  # baseline of the year labels
    maximum: int
    title: str
    description: str
    left_out: int  # events with an open-sided date, not drawn


@dataclass(frozen=True)
class _Band:
    """One colour of the stacks: a domain, or the events with none."""

    key: int | None
    name: str
    colour: str


def _bands(domains, by_domain: dict[int | None, dict[int, int]]) -> list[_Band]:
    """The domains that have events, in their order (colours fixed by that order), then none."""
    bands = [
        _Band(d.pk, d.name, PALETTE[i % len(PALETTE)])
        for i, d in enumerate(domains)
        if d.pk in by_domain
    ]
    if None in by_domain:
        bands.append(_Band(None, *NO_DOMAIN))
    return bands


def build_chart(
    domains,
    by_domain: dict[int | None, dict[int, int]],
    first: int,
    last: int,
    summary: str,
    *,
    left_out: int = 0,
) -> Chart:
    """Stacked bars for ``by_domain`` ({first domain's id: {year: events}}) from ``first`` to
    ``last``, domains in their dossier order, with a legend, year labels and a text
    alternative. ``left_out``: the events not drawn, for the caption."""
    width, left, right, top, bottom = 640, 36, 8, 56, 22
    plot_height = 150
    height = top + plot_height + bottom
    years = list(range(first, last + 1))
    shown = _bands(domains, by_domain)
    totals = {y: sum(by_domain[b.key].get(y, 0) for b in shown) for y in years}
    maximum = max(totals.values(), default=0) or 1
    band_width = (width - left - right) / len(years)
    bar_width = min(max(band_width * 0.8, 1), 48)
    bars = []
    for index, year in enumerate(years):
        x = left + index * band_width + (band_width - bar_width) / 2
        y = top + plot_height
        for band in shown:
            count = by_domain[band.key].get(year, 0)
            if not count:
                continue
            h = plot_height * count / maximum
            y -= h
            plural = "event" if count == 1 else "events"
            bars.append(
                Bar(
                    round(x, 2),
                    round(y, 2),
                    round(bar_width, 2),
                    round(h, 2),
                    band.colour,
                    f"{year} · {band.name}: {count} {plural}",
                )
            )
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 1000) if len(years) / s <= 12)
    labels = [
        (round(left + i * band_width + band_width / 2, 2), str(y))
        for i, y in enumerate(years)
        if (y - first) % step == 0
    ]
    legend, x, row = [], left, 0
    for band in shown:
        item_width = 24 + 7 * len(band.name)
        if x + item_width > width - right and x > left:
            x, row = left, row + 1
        y = 8 + row * 18
        legend.append(LegendItem(x, y, band.colour, band.name, x + 16, y + 11))
        x += item_width + 12
    busiest = max(years, key=lambda y: totals[y])
    per_band = ", ".join(f"{b.name} {sum(by_domain[b.key].values())}" for b in shown)
    span = str(first) if first == last else f"{first} to {last}"
    description = (
        f"Stacked bars: events per year from {span}, each event counted once, in the colour of "
        f"its first domain. Busiest year: {busiest} ({totals[busiest]}). By first domain: "
        f"{per_band}. An event that spans several years counts in each year it overlaps."
    )
    if left_out:
        description += f" {left_out} with a date open on one side are not drawn."
    return Chart(
        width=width,
        height=height,
        bars=bars,
        legend=legend,
        labels=labels,
        axis_y=top + plot_height,
        plot_left=left,
        plot_right=width - right,
        plot_top=top,
        label_x=left - 4,
        label_y=top + plot_height + 16,
        maximum=maximum,
        title=f"Events per year, by first domain{': ' + summary if summary else ''}",
        description=description,
        left_out=left_out,
    )
