"""Grouped horizontal bar charts as standalone SVG, for docs/benchmarks.md.

One chart per suite: a group of bars per workload, one bar per implementation, on a log scale
(the peers differ by up to two orders of magnitude), each bar labelled with its value.
"""
import math
from html import escape

PALETTE = ["#1f6feb", "#8250df", "#bf8700", "#1a7f37", "#cf222e", "#6e7781", "#0a3069"]
BAR, GAP, GROUP_GAP, LEFT, RIGHT, TOP, AXIS = 16, 3, 18, 230, 150, 54, 36


def label(v: float) -> str:
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def bar_chart(path: str, title: str, unit: str, groups: list[tuple[str, list[tuple[str, float]]]]) -> None:
    """Writes an SVG to `path`: `groups` is [(workload, [(implementation, value), ...]), ...]."""
    impls: list[str] = []
    for _, bars in groups:
        for name, _ in bars:
            if name not in impls:
                impls.append(name)
    color = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(impls)}
    values = [v for _, bars in groups for _, v in bars if v > 0]
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))
    width = 860
    plot_w = width - LEFT - RIGHT

    def x(v: float) -> float:
        return LEFT + plot_w * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    height = TOP + sum(len(b) * (BAR + GAP) + GROUP_GAP for _, b in groups) + AXIS + 22 * math.ceil(len(impls) / 4)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           'font-family="Helvetica, Arial, sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{escape(title)}</text>',
           f'<text x="{width / 2}" y="40" text-anchor="middle" fill="#555">{escape(unit)}, log scale; longer is faster</text>']
    y = TOP
    plot_bottom = height - AXIS - 22 * math.ceil(len(impls) / 4)
    decade = lo
    while decade <= hi:
        gx = x(decade)
        out.append(f'<line x1="{gx:.1f}" y1="{TOP - 4}" x2="{gx:.1f}" y2="{plot_bottom}" stroke="#ddd"/>')
        out.append(f'<text x="{gx:.1f}" y="{plot_bottom + 14}" text-anchor="middle" fill="#555">{decade:,g}</text>')
        decade *= 10
    for workload, bars in groups:
        group_h = len(bars) * (BAR + GAP)
        out.append(f'<text x="{LEFT - 10}" y="{y + group_h / 2 + 4:.1f}" text-anchor="end">{escape(workload)}</text>')
        for name, v in bars:
            if v > 0:
                w = max(1.0, x(v) - LEFT)
                out.append(f'<rect x="{LEFT}" y="{y}" width="{w:.1f}" height="{BAR}" fill="{color[name]}"/>')
                out.append(f'<text x="{LEFT + w + 4:.1f}" y="{y + BAR - 4}" fill="#222">{label(v)}</text>')
            y += BAR + GAP
        y += GROUP_GAP
    ly = plot_bottom + 34
    for i, name in enumerate(impls):
        lx = 20 + (i % 4) * 210
        row_y = ly + 22 * (i // 4)
        out.append(f'<rect x="{lx}" y="{row_y - 10}" width="12" height="12" fill="{color[name]}"/>')
        out.append(f'<text x="{lx + 17}" y="{row_y}">{escape(name)}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
