"""The report map's furniture: a scale bar and a north arrow in a band under the map.

The band is part of the panel's frame (see ``Frame.band_px``) but below every point fitted to
it, so no home, school, depot or route is ever drawn under the furniture. The scale bar takes
the longest of a few round lengths that fits in ``MAX_BAR_SHARE`` of the panel's width.
"""

from __future__ import annotations

from sendplan.api.report_map_data import Frame

BAND_PX = 30
MAX_BAR_SHARE = 0.3
M_PER_DEG_LAT = 111_320.0
# Round lengths in metres, shortest first: a frame is at least ~450 m across (report_map_data
# MIN_SPAN_DEG_LAT), so 50 m always fits in 30% of a panel 150 px wide or more.
NICE_M = (50, 100, 200, 250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000,
          200_000, 500_000, 1_000_000)  # fmt: skip
BAR_X_PX = 10.0


def scale_bar_m(frame: Frame) -> int:
    """The scale bar's length in metres: the longest of ``NICE_M`` no longer than
    ``MAX_BAR_SHARE`` of the panel's width (the shortest if none is)."""
    px_per_m = frame.scale / M_PER_DEG_LAT
    fits = [m for m in NICE_M if m * px_per_m <= MAX_BAR_SHARE * frame.width]
    return max(fits) if fits else NICE_M[0]


def length_text(metres: int) -> str:
    return f"{metres} m" if metres < 1000 else f"{metres / 1000:g} km"


def furniture(frame: Frame) -> str:
    """The band (white, a rule above it), the scale bar at its left, the north arrow at its
    right; all inside ``0..width`` x ``height - band_px..height``."""
    w, h, band = frame.width, frame.height, frame.band_px
    metres = scale_bar_m(frame)
    bar = metres * frame.scale / M_PER_DEG_LAT
    half = bar / 2
    x0, y0 = BAR_X_PX, h - 11.0
    top = h - band
    nx = w - 14.0
    return (
        '<g class="furniture">'
        f'<rect class="band" x="0" y="{top:.1f}" width="{w}" height="{band}" fill="#fff"/>'
        f'<line class="rule" x1="0" y1="{top:.1f}" x2="{w}" y2="{top:.1f}"/>'
        f'<rect class="bar" x="{x0:.1f}" y="{y0:.1f}" width="{half:.1f}" height="5"/>'
        f'<rect class="bar alt" x="{x0 + half:.1f}" y="{y0:.1f}" width="{half:.1f}" height="5"/>'
        f'<text x="{x0:.1f}" y="{y0 - 4:.1f}">0</text>'
        f'<text class="end" x="{x0 + bar:.1f}" y="{y0 - 4:.1f}" text-anchor="middle">'
        f"{length_text(metres)}</text>"
        f'<path class="north" d="M{nx:.1f} {top + 4:.1f}L{nx + 6:.1f} {h - 5:.1f}L{nx:.1f} '
        f'{h - 9:.1f}L{nx - 6:.1f} {h - 5:.1f}Z" fill="#1a202c"/>'
        f'<text x="{nx - 16:.1f}" y="{h - 10:.1f}" text-anchor="middle">N</text></g>'
    )
