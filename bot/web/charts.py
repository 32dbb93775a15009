"""SVG charts drawn on the server: no script, no external asset, readable on a phone.

Each data point is an element with ``class="point"`` and ``data-label``/``data-value`` attributes
(and a ``<title>`` tooltip), so a page, a screen reader or a test can read the figures back.
"""

from html import escape

WIDTH = 640
HEIGHT = 220
PAD_LEFT = 44
PAD_RIGHT = 12
PAD_TOP = 14
PAD_BOTTOM = 34


def bar_chart(points: list[tuple[str, float]], title: str, percent: bool = False) -> str:
    """Vertical bars, one per (label, value); ``percent`` shows values 0..1 as 0-100 %."""
    return _chart(points, title, percent, bars=True)


def line_chart(points: list[tuple[str, float]], title: str, percent: bool = False) -> str:
    """A polyline with a marker per (label, value)."""
    return _chart(points, title, percent, bars=False)


def _chart(points: list[tuple[str, float]], title: str, percent: bool, bars: bool) -> str:
    inner_w = WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    top = 1.0 if percent else _nice_max(max((v for _, v in points), default=0))
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i in range(5):  # horizontal grid with its scale
        value = top * i / 4
        y = PAD_TOP + inner_h - inner_h * i / 4
        parts.append(f'<line class="grid" x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH - PAD_RIGHT}" '
                     f'y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f"{_fmt(value, percent)}</text>")
    if not points:
        parts.append(f'<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">'
                     "ไม่มีข้อมูลในช่วงนี้</text></svg>")
        return "".join(parts)
    step = inner_w / len(points)
    every = max(1, len(points) // 8)  # at most ~8 date labels so they never overlap
    coords, marks = [], []
    for i, (label, value) in enumerate(points):
        x = PAD_LEFT + step * (i + 0.5)
        h = inner_h * (value / top if top else 0)
        y = PAD_TOP + inner_h - h
        coords.append(f"{x:.1f},{y:.1f}")
        tip = f"<title>{escape(label)}: {_fmt(value, percent)}</title>"
        data = f'data-label="{escape(label)}" data-value="{value:g}"'
        if bars:
            w = max(step * 0.7, 1.0)
            marks.append(f'<rect class="point bar" {data} x="{x - w / 2:.1f}" y="{y:.1f}" '
                         f'width="{w:.1f}" height="{h:.1f}">{tip}</rect>')
        else:
            marks.append(f'<circle class="point dot" {data} cx="{x:.1f}" cy="{y:.1f}" r="3">{tip}</circle>')
        if i % every == 0:
            parts.append(f'<text class="axis" x="{x:.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
                         f"{escape(label[5:] if len(label) == 10 else label)}</text>")
    if not bars and len(coords) > 1:
        parts.append(f'<polyline class="line" points="{" ".join(coords)}"/>')
    parts += [*marks, "</svg>"]
    return "".join(parts)


def _nice_max(value: float) -> float:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value`` (a readable top of scale)."""
    if value <= 0:
        return 1.0
    scale = 1.0
    while scale * 10 < value:
        scale *= 10
    for m in (1, 2, 5, 10):
        if m * scale >= value:
            return m * scale
    return 10 * scale


def _fmt(value: float, percent: bool) -> str:
    return f"{value * 100:.0f}%" if percent else f"{value:g}"
