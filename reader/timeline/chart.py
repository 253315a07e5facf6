"""The chart above the facets: events per year, stacked by domain, as numbers for inline SVG.

Geometry only; the markup is templates/jinja2/reader/timeline_chart.html (no script, no CDN).
"""

from __future__ import annotations

from dataclasses import dataclass

# Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


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


def build_chart(domains, by_domain: dict[int, dict[int, int]], first, last, summary) -> Chart:
    """Stacked bars for ``by_domain`` ({domain id: {year: events}}) from ``first`` to ``last``,
    domains in their dossier order, with a legend, year labels and a text alternative."""
    width, left, right, top, bottom = 640, 36, 8, 56, 22
    plot_height = 150
    height = top + plot_height + bottom
    years = list(range(first, last + 1))
    colours = {d.pk: PALETTE[i % len(PALETTE)] for i, d in enumerate(domains)}
    shown = [d for d in domains if d.pk in by_domain]
    totals = {y: sum(by_domain[d.pk].get(y, 0) for d in shown) for y in years}
    maximum = max(totals.values(), default=0) or 1
    band = (width - left - right) / len(years)
    bar_width = min(max(band * 0.8, 1), 48)
    bars = []
    for index, year in enumerate(years):
        x = left + index * band + (band - bar_width) / 2
        y = top + plot_height
        for domain in shown:
            count = by_domain[domain.pk].get(year, 0)
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
                    colours[domain.pk],
                    f"{year} · {domain.name}: {count} {plural}",
                )
            )
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 1000) if len(years) / s <= 12)
    labels = [
        (round(left + i * band + band / 2, 2), str(y))
        for i, y in enumerate(years)
        if (y - first) % step == 0
    ]
    legend, x, row = [], left, 0
    for domain in shown:
        item_width = 24 + 7 * len(domain.name)
        if x + item_width > width - right and x > left:
            x, row = left, row + 1
        y = 8 + row * 18
        legend.append(LegendItem(x, y, colours[domain.pk], domain.name, x + 16, y + 11))
        x += item_width + 12
    busiest = max(years, key=lambda y: totals[y])
    per_domain = ", ".join(f"{d.name} {sum(by_domain[d.pk].values())}" for d in shown)
    span = str(first) if first == last else f"{first} to {last}"
    description = (
        f"Stacked bars: events per year from {span}, one colour per domain. "
        f"Busiest year: {busiest} ({totals[busiest]}). Per domain: {per_domain}. "
        "An event in several domains counts once in each; one that spans several years "
        "counts in each year it overlaps."
    )
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
        title=f"Events per year by domain{': ' + summary if summary else ''}",
        description=description,
    )
