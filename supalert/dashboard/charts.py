"""Line charts as inline SVG, drawn on the server: no JavaScript library and no network access needed. Every
data point is a <circle class="pt"> (so tests can count them); thresholds are dashed <line class="threshold">."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 200, 48, 12, 12, 28
COLORS = {"critical": "#dc2626", "high": "#ea580c", "warning": "#ca8a04", "info": "#2563eb",
          "p50": "#2563eb", "p95": "#7c3aed", "sms": "#0d9488", "email": "#db2777"}  # fmt: skip


@dataclass
class Series:
    name: str
    points: list[tuple[datetime, float]]


def line_chart(
    title: str,
    series: list[Series],
    start: datetime,
    span: timedelta,
    thresholds: list[tuple[str, float]],
    unit: str,
) -> str:
    values = [v for s in series for _, v in s.points] + [t for _, t in thresholds]
    top = max(values, default=1.0) * 1.1 or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    t0 = start - span

    def x(at: datetime) -> float:
        return LEFT + plot_w * max(0.0, min(1.0, (at - t0) / span))

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" aria-label="{escape(title)}">',
        f'<text x="{LEFT}" y="{TOP - 2}" class="label">{escape(unit)} (max {top / 1.1:g})</text>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" class="axis"/>',
        f'<text x="{LEFT}" y="{HEIGHT - 8}" class="label">-24 h</text>',
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" class="label" text-anchor="end">now</text>',
    ]
    for label, value in thresholds:
        parts.append(
            f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"'
            f' stroke="#6b7280" stroke-dasharray="6 4"><title>{escape(label)}: {value:g}</title></line>'
            f'<text x="{WIDTH - RIGHT}" y="{y(value) - 3:.1f}" class="label" text-anchor="end">'
            f"{escape(label)} {value:g}</text>"
        )
    for s in series:
        color = COLORS.get(s.name, "#111827")
        coords = " ".join(f"{x(at):.1f},{y(v):.1f}" for at, v in s.points)
        if len(s.points) > 1:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{coords}"/>')
        for at, v in s.points:
            parts.append(
                f'<circle class="pt" data-series="{escape(s.name)}" cx="{x(at):.1f}" cy="{y(v):.1f}" r="2.5"'
                f' fill="{color}"><title>{escape(s.name)} {at:%H:%M}: {v:g}</title></circle>'
            )
    legend = " ".join(
        f'<span class="legend"><i style="background:{COLORS.get(s.name, "#111827")}"></i>{escape(s.name)}</span>'
        for s in series
    )
    parts.append("</svg>")
    return f"<figure><figcaption>{escape(title)} {legend}</figcaption>{''.join(parts)}</figure>"
