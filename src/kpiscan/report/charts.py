"""Charts as inline SVG strings: no script, no network, readable in any browser and in print.

Three shapes cover the overview: horizontal bars (one value per label), stacked horizontal bars
(counts per label and segment, with a legend) and vertical bars (a distribution).
"""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

LABEL_W = 190  # room for a Chinese label of ~12 characters
BAR_H = 18
GAP = 6
# the CJK fallback list of report.css: macOS, Windows, Linux faces
FONT = ("font-family=\"'PingFang SC','Hiragino Sans GB','Microsoft YaHei','DengXian','SimHei','Noto Sans CJK SC',"
        "'Source Han Sans SC','WenQuanYi Micro Hei',sans-serif\" font-size=\"12\"")
PALETTE = {
    "quantitative": "#2e7d32", "temporal": "#1565c0", "binary": "#6a1b9a", "vague": "#ef6c00",
    "malformed": "#c62828", "unlabelled": "#9e9e9e",
}
BAR = "#1f4e79"


def _svg(width: int, height: int, body: list[str], title: str) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" {FONT}><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def hbars(items: Sequence[tuple[str, float]], title: str, fmt=lambda v: f"{v:g}", max_value: float | None = None,
          width: int = 560, label_w: int = LABEL_W) -> Markup:
    """One bar per (label, value); `label_w` pixels for the labels (a CJK character is ~12 px)."""
    top = max_value if max_value is not None else max((v for _, v in items), default=0) or 1
    span = width - label_w - 60
    body = []
    for n, (label, value) in enumerate(items):
        y = n * (BAR_H + GAP)
        w = max(0.0, span * value / top)
        body.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">{escape(_short(label, label_w - 10))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{BAR_H}" fill="{BAR}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'  # noqa: E501
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}">{escape(fmt(value))}</text>'
        )
    return _svg(width, max(1, len(items)) * (BAR_H + GAP), body, title)


def stacked_hbars(rows: list[tuple[str, dict[str, int]]], segments: list[str], title: str, width: int = 640) -> Markup:
    top = max((sum(c.values()) for _, c in rows), default=0) or 1
    span = width - LABEL_W - 50
    body = []
    legend_y = len(rows) * (BAR_H + GAP) + 8
    for n, (label, counts) in enumerate(rows):
        y = n * (BAR_H + GAP)
        x = float(LABEL_W)
        body.append(f'<text x="{LABEL_W - 6}" y="{y + 13}" text-anchor="end">{escape(_short(label, LABEL_W - 10))}</text>')
        for seg in segments:
            v = counts.get(seg, 0)
            if not v:
                continue
            w = span * v / top
            body.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR_H}" fill="{PALETTE.get(seg, BAR)}">'
                        f'<title>{escape(label)} · {escape(seg)}: {v}</title></rect>')
            x += w
        body.append(f'<text x="{x + 4:.1f}" y="{y + 13}">{sum(counts.values())}</text>')
    x = LABEL_W
    for seg in segments:
        body.append(f'<rect x="{x}" y="{legend_y}" width="12" height="12" fill="{PALETTE.get(seg, BAR)}"/>'
                    f'<text x="{x + 16}" y="{legend_y + 11}">{escape(seg)}</text>')
        x += 16 + 7 * len(seg) + 14
    return _svg(width, legend_y + 20, body, title)


def vbars(items: list[tuple[str, int]], title: str, width: int = 560, height: int = 200) -> Markup:
    top = max((v for _, v in items), default=0) or 1
    n = max(1, len(items))
    slot = (width - 20) / n
    plot_h = height - 40
    body = []
    for k, (label, value) in enumerate(items):
        h = plot_h * value / top
        x = 10 + k * slot
        body.append(
            f'<rect x="{x + 3:.1f}" y="{20 + plot_h - h:.1f}" width="{slot - 6:.1f}" height="{h:.1f}" fill="{BAR}">'
            f'<title>{escape(label)}: {value}</title></rect>'
            f'<text x="{x + slot / 2:.1f}" y="{15 + plot_h - h:.1f}" text-anchor="middle">{value}</text>'
            f'<text x="{x + slot / 2:.1f}" y="{height - 6}" text-anchor="middle" font-size="10">{escape(label)}</text>'
        )
    return _svg(width, height, body, title)


def _text_width(text: str) -> int:
    """Rough pixel width at 12 px: CJK characters are square, Latin ones about half as wide."""
    return sum(12 if ord(c) >= 0x2E80 else 7 for c in text)


def _short(label: str, pixels: int) -> str:
    """The label cut (with …) to fit `pixels`; the full text stays in the bar's tooltip."""
    if _text_width(label) <= pixels:
        return label
    while label and _text_width(label) + 12 > pixels:
        label = label[:-1]
    return label + "…"
