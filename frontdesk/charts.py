"""Small inline SVG charts drawn on the server: no script, no library, readable
without colour (every bar carries its number) and described for screen readers."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

KIND_COLOURS = {
    "consultation": "#3b6fb6",
    "session": "#7b4bb3",
    "healing_check": "#2e8b57",
    "review": "#c27c0e",
    "maintenance": "#138a8a",
}
STATUS_COLOURS = {
    "active": "#3b6fb6", "paused": "#9a9a9a", "on_hold": "#c27c0e", "completed": "#2e8b57", "cancelled": "#b23b3b",
    "pending": "#3b6fb6", "queued": "#6b8fc7", "sending": "#6b8fc7", "sent": "#2e8b57", "failed": "#b23b3b",
    "skipped": "#9a9a9a",
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str
    colour: str = "#3b6fb6"


def bars(rows: Sequence[Bar], *, title: str, maximum: float | None = None, width: int = 420) -> SafeString:
    """Horizontal bars, one per row, the value written at the end of each bar."""
    label_width, bar_height, gap = 150, 18, 8
    top = max((row.value for row in rows), default=0)
    maximum = maximum if maximum is not None else (top or 1)
    plot = width - label_width - 60
    height = max(1, len(rows)) * (bar_height + gap) + gap
    items = []
    for index, row in enumerate(rows):
        y = gap + index * (bar_height + gap)
        length = 0 if maximum <= 0 else max(0.0, min(1.0, row.value / maximum)) * plot
        items.append(format_html(
            '<text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" rx="2"><title>{}: {}</title></rect>'
            '<text x="{}" y="{}" class="chart-value">{}</text>',
            label_width - 8, y + bar_height - 5, row.label,
            label_width, y, f"{length:.1f}", bar_height, row.colour, row.label, row.text,
            f"{label_width + length + 6:.1f}", y + bar_height - 5, row.text,
        ))
    description = "; ".join(f"{row.label}: {row.text}" for row in rows) or "No data"
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}">'
        "<title>{}</title>{}</svg>",
        f"{title}. {description}", width, height, width, height, title, mark_safe("".join(items)),
    )


def stacked_columns(columns: Sequence[tuple[str, dict[str, int]]], *, title: str, colours: dict[str, str],
                    labels: dict[str, str], width: int = 420, height: int = 170) -> SafeString:
    """One column per label (e.g. a weekday), stacked by part (e.g. visit kind), with
    the total above each column."""
    base, top_pad, left = height - 22, 16, 8
    totals = [sum(parts.values()) for _, parts in columns]
    peak = max(totals, default=0) or 1
    slot = (width - left) / max(1, len(columns))
    bar_width = min(38.0, slot * 0.6)
    items = []
    for index, (label, parts) in enumerate(columns):
        x = left + index * slot + (slot - bar_width) / 2
        y = base
        for part, count in parts.items():
            if not count:
                continue
            h = count / peak * (base - top_pad)
            y -= h
            items.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {} {}</title></rect>',
                    f"{x:.1f}",
                    f"{y:.1f}",
                    f"{bar_width:.1f}",
                    f"{h:.1f}",
                    colours.get(part, "#888"),
                    label,
                    count,
                    labels.get(part, part),
                )
            )
        items.append(format_html('<text x="{}" y="{}" text-anchor="middle" class="chart-value">{}</text>',
                                 f"{x + bar_width / 2:.1f}", f"{y - 4:.1f}", totals[index]))
        items.append(format_html('<text x="{}" y="{}" text-anchor="middle" class="chart-label">{}</text>',
                                 f"{x + bar_width / 2:.1f}", height - 6, label))
    description = "; ".join(f"{label}: {total}" for (label, _), total in zip(columns, totals, strict=True))
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}">'
        '<title>{}</title><line x1="0" x2="{}" y1="{}" y2="{}" class="chart-axis"/>{}</svg>',
        f"{title}. {description}", width, height, width, height, title, width, base, base, mark_safe("".join(items)),
    )


def legend(colours: dict[str, str], labels: dict[str, str]) -> SafeString:
    return format_html('<ul class="legend">{}</ul>', format_html_join(
        "", '<li><span class="swatch" style="background:{}"></span>{}</li>',
        ((colour, labels.get(key, key)) for key, colour in colours.items())))


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"
