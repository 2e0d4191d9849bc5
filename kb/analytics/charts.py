"""Charts drawn by the app itself: small inline SVG, no scripts, no external services, no inline styles."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 720, 180, 24


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>{"".join(body)}</svg>')


def _nice_max(value: float) -> float:
    """The axis top: 1, 2 or 5 times a power of ten, at least the largest value."""
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return float(factor * step)
    return float(10 * step)


def daily_bars(label: str, days: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]) -> str:
    """Bars per day; each further series is drawn over the first (e.g. searches, then those with no result)."""
    top = _nice_max(max((max(values, default=0) for _, values in series), default=0))
    plot_w, plot_h = WIDTH - 2 * PAD - 20, HEIGHT - 2 * PAD
    step = plot_w / max(1, len(days))
    body = [f'<text class="axis" x="{PAD}" y="{PAD - 8}">{int(top)}</text>',
            f'<line class="grid" x1="{PAD + 20}" y1="{PAD}" x2="{WIDTH - PAD}" y2="{PAD}"/>',
            f'<line class="axis-line" x1="{PAD + 20}" y1="{PAD + plot_h}" x2="{WIDTH - PAD}" y2="{PAD + plot_h}"/>']
    for n, (name, values) in enumerate(series):
        for i, (day, value) in enumerate(zip(days, values, strict=True)):
            h = plot_h * value / top
            x = PAD + 20 + i * step + step * 0.1
            body.append(f'<rect class="series-{n}" x="{x:.1f}" y="{PAD + plot_h - h:.1f}" width="{step * 0.8:.1f}" '
                        f'height="{h:.1f}"><title>{escape(day)}: {value} {escape(name)}</title></rect>')
    for i in sorted({0, len(days) // 2, len(days) - 1}) if days else ():
        body.append(f'<text class="axis" x="{PAD + 20 + i * step:.1f}" y="{HEIGHT - 6}">{escape(days[i][5:])}</text>')
    return _svg(WIDTH, HEIGHT, label, body)


def horizontal_bars(label: str, rows: Sequence[tuple[str, int]], unit: str = "") -> str:
    """One labelled bar per row, longest first as given (top queries, articles)."""
    bar_h, label_w = 22, 280
    height = max(1, len(rows)) * bar_h + 8
    top = _nice_max(max((v for _, v in rows), default=0))
    body = []
    for i, (name, value) in enumerate(rows):
        y = 4 + i * bar_h
        w = (WIDTH - label_w - 60) * value / top
        short = name if len(name) <= 40 else name[:39] + "…"
        body += [f'<text class="bar-label" x="{label_w - 8}" y="{y + 15}">{escape(short)}</text>',
                 f'<rect class="series-0" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 6}">'
                 f'<title>{escape(name)}: {value} {escape(unit)}</title></rect>',
                 f'<text class="axis" x="{label_w + w + 6:.1f}" y="{y + 15}">{value}</text>']
    return _svg(WIDTH, height, label, body)


def sparkline(label: str, values: Sequence[int], width: int = 120, height: int = 28) -> str:
    """A small line of counts per period, for a gap group's trend."""
    top = max(max(values, default=0), 1)
    step = (width - 4) / max(1, len(values) - 1)
    points = " ".join(f"{2 + i * step:.1f},{height - 3 - (height - 6) * v / top:.1f}" for i, v in enumerate(values))
    return _svg(width, height, label, [f'<polyline class="spark" points="{points}"/>'])
