"""A deployment's place drawn offline as SVG: Greater London's extent, a few landmarks for
bearings and the deployment's point, projected equirectangularly (true enough at a city's
scale). No tile server: nothing is fetched from anywhere."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from markupsafe import Markup

SOUTH, NORTH, WEST, EAST = 51.28, 51.70, -0.52, 0.34  # Greater London's bounding box
CENTRE = (51.5080, -0.1281)  # Charing Cross, where London's distances are measured from
LANDMARKS = (
    ("Charing Cross", 51.5080, -0.1281),
    ("Heathrow", 51.4700, -0.4543),
    ("Wembley", 51.5560, -0.2796),
    ("Stratford", 51.5416, -0.0034),
    ("Croydon", 51.3762, -0.0982),
    ("Enfield", 51.6523, -0.0807),
    ("Bexleyheath", 51.4570, 0.1430),
)
WIDTH = 340
HEIGHT = round(WIDTH * (NORTH - SOUTH) / ((EAST - WEST) * math.cos(math.radians(51.5))))


def _xy(latitude: float, longitude: float) -> tuple[float, float]:
    x = (longitude - WEST) / (EAST - WEST) * WIDTH
    y = (NORTH - latitude) / (NORTH - SOUTH) * HEIGHT
    return x, y


def inside(latitude: Any, longitude: Any) -> tuple[float, float] | None:
    """The coordinates, when both are given and within the map."""
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        return None
    if SOUTH <= latitude <= NORTH and WEST <= longitude <= EAST:
        return float(latitude), float(longitude)
    return None


def location_map(name: str, latitude: float, longitude: float) -> Markup:
    """The map of one place, with its name and coordinates in the title for screen readers."""
    km_per_px = (EAST - WEST) * 111.32 * math.cos(math.radians(51.5)) / WIDTH
    ring = 20 / km_per_px  # 20 km from Charing Cross: about the edge of Greater London
    cx, cy = _xy(*CENTRE)
    parts = [
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" class="map-land"/>',
        f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{ring:.1f}" class="map-ring"/>',
    ]
    for label, lat, lon in LANDMARKS:
        x, y = _xy(lat, lon)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="map-landmark"/>'
            f'<text x="{x + 5:.1f}" y="{y + 4:.1f}" class="map-label">{escape(label)}</text>'
        )
    x, y = _xy(latitude, longitude)
    parts.append(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" class="map-point"/>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#fff"/>'
    )
    bar = 5 / km_per_px
    parts.append(
        f'<line x1="10" y1="{HEIGHT - 12}" x2="{10 + bar:.1f}" y2="{HEIGHT - 12}" '
        f'class="map-scale"/><text x="10" y="{HEIGHT - 18}" class="map-label">5 km</text>'
        f'<text x="{WIDTH - 12}" y="20" text-anchor="end" class="map-label">N ↑</text>'
    )
    title = f"Map: {name}, at latitude {latitude:.4f}, longitude {longitude:.4f}"
    return Markup(
        f'<svg class="map" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-size="12">' + "".join(parts) + "</svg>"
    )
