"""The report's charts as hand-written inline SVG: deterministic text, nothing to import or fetch.

Each chart is a ``<figure>`` with a title, axes with labelled ticks and bars whose values are also
written as text, so it reads in grey print and to a screen reader (``role="img"`` plus a label).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

CHART_WIDTH_PX = 560
BAR_ROW_PX = 16
LABEL_PX = 250


def _nice_step(top: float, ticks: int = 5) -> float:
    """A 1/2/5 x 10^k step giving about ``ticks`` ticks up to ``top``."""
    raw = max(top, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _svg(kind: str, title: str, width: int, height: int, body: str) -> str:
    return (
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{kind}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">{body}</svg><figcaption>{escape(title)}</figcaption>'
        "</figure>"
    )


def _short(label: str, chars: int = 34) -> str:
    return label if len(label) <= chars else label[: chars - 1] + "\u2026"


def histogram(
    kind: str,
    title: str,
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    bin_min: float = 5.0,
    x_label: str = "minutes",
    limits: Sequence[tuple[str, float]] = (),
) -> str:
    """Counts per ``bin_min`` bin; up to two series side by side (the second hatched lighter),
    with dashed lines at ``limits``."""
    values = [v for _, vs in series for v in vs]
    if not values:
        return ""
    bins = max(1, math.ceil((max(values) + 1e-9) / bin_min))
    counts = [[0] * bins for _ in series]
    for k, (_, vs) in enumerate(series):
        for v in vs:
            counts[k][min(bins - 1, int(v // bin_min))] += 1
    most = max(max(c) for c in counts)
    step = _nice_step(most)
    top = step * math.ceil(most / step)
    w, h, left, bottom, head = CHART_WIDTH_PX, 260, 46, 40, 26
    plot_w, plot_h = w - left - 12, h - bottom - head
    bw = plot_w / bins
    parts = [f'<rect width="{w}" height="{h}" fill="#fff"/>']
    for t in range(0, int(top / step) + 1):
        y = head + plot_h - t * step / top * plot_h
        parts.append(
            f'<line class="grid" x1="{left}" x2="{w - 12}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{t * step:g}</text>'
        )
    for k, (name, _) in enumerate(series):
        cls = "bar pm" if k else "bar"
        sub = bw / len(series)
        for i, n in enumerate(counts[k]):
            if not n:
                continue
            bh = n / top * plot_h
            x = left + i * bw + k * sub + 0.5
            lo, hi = i * bin_min, (i + 1) * bin_min
            parts.append(
                f'<rect class="{cls}" x="{x:.1f}" y="{head + plot_h - bh:.1f}" '
                f'width="{max(sub - 1, 0.8):.1f}" height="{bh:.1f}"><title>{escape(name)}: {n} '
                f"children, {lo:g}-{hi:g} {escape(x_label)}</title></rect>"
            )
    every = max(1, math.ceil(bins / 12))
    for i in range(0, bins + 1, every):
        x = left + i * bw
        y = head + plot_h + 14
        parts.append(f'<text x="{x:.1f}" y="{y}" text-anchor="middle">{i * bin_min:g}</text>')
    for name, at in limits:
        if 0 < at <= bins * bin_min:
            x = left + at / bin_min * bw
            # Labels near the right edge go left of their line, so they stay in the chart.
            tx, anchor = (x - 3, "end") if x > w * 0.7 else (x + 3, "start")
            parts.append(
                f'<line class="limit" x1="{x:.1f}" x2="{x:.1f}" y1="{head}" '
                f'y2="{head + plot_h}"/><text x="{tx:.1f}" y="{head + 10}" '
                f'text-anchor="{anchor}">{escape(name)}</text>'
            )
    parts.append(
        f'<line class="axis" x1="{left}" x2="{w - 12}" y1="{head + plot_h}" y2="{head + plot_h}"/>'
        f'<line class="axis" x1="{left}" x2="{left}" y1="{head}" y2="{head + plot_h}"/>'
        f'<text x="{left + plot_w / 2:.1f}" y="{h - 6}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="4" y="{head - 10}">children</text>'
    )
    keys = "".join(
        f'<rect class="{"bar pm" if k else "bar"}" x="{left + 160 * k + 110}" y="{head - 20}" '
        f'width="10" height="10"/><text x="{left + 160 * k + 124}" y="{head - 11}">'
        f"{escape(_short(name, 22))}</text>"
        for k, (name, _) in enumerate(series)
    )
    return _svg(kind, title, w, h, "".join(parts) + keys)


def bar_chart(
    kind: str,
    title: str,
    rows: Sequence[tuple[str, float, str]],
    *,
    capacity: Sequence[float] | None = None,
    unit: str = "",
) -> str:
    """Horizontal bars, one row per ``(label, value, value text)``. With ``capacity``, each row
    also draws its capacity as an outline and a bar over it in the warning style."""
    if not rows:
        return ""
    top = max([v for _, v, _ in rows] + list(capacity or [0.0]) + [1e-9])
    step = _nice_step(top)
    top = step * math.ceil(top / step)
    w, head, right = CHART_WIDTH_PX + 200, 22, 80
    plot_w = w - LABEL_PX - right
    h = head + BAR_ROW_PX * len(rows) + 24
    parts = [f'<rect width="{w}" height="{h}" fill="#fff"/>']
    for t in range(0, int(top / step) + 1):
        x = LABEL_PX + t * step / top * plot_w
        parts.append(
            f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{head}" y2="{h - 22}"/>'
            f'<text x="{x:.1f}" y="{h - 8}" text-anchor="middle">{_tick(t * step, unit)}</text>'
        )
    for i, (label, value, text) in enumerate(rows):
        y = head + i * BAR_ROW_PX
        cap = capacity[i] if capacity is not None else None
        over = cap is not None and value > cap
        bw = value / top * plot_w
        parts.append(
            f'<text x="{LABEL_PX - 6}" y="{y + 11}" text-anchor="end">{escape(_short(label))}'
            f"<title>{escape(label)}</title></text>"
            f'<rect class="bar{" over" if over else ""}" x="{LABEL_PX}" y="{y + 2}" '
            f'width="{bw:.1f}" height="{BAR_ROW_PX - 4}"><title>{escape(label)}: {escape(text)}'
            "</title></rect>"
        )
        if cap is not None:
            parts.append(
                f'<rect class="bar cap" x="{LABEL_PX}" y="{y + 1.5}" '
                f'width="{cap / top * plot_w:.1f}" height="{BAR_ROW_PX - 3}"/>'
            )
        end = LABEL_PX + max(bw, (cap or 0) / top * plot_w)
        parts.append(f'<text x="{end + 5:.1f}" y="{y + 11}">{escape(text)}</text>')
    parts.append(f'<line class="axis" x1="{LABEL_PX}" x2="{LABEL_PX}" y1="{head}" y2="{h - 22}"/>')
    return _svg(kind, title, w, h, "".join(parts))


def _tick(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:g}%"
    if unit == "gbp":
        if value >= 1e6:
            return f"£{value / 1e6:g}m"
        return f"£{value / 1e3:g}k" if value >= 1e3 else f"£{value:g}"
    return f"{value:g}"
