"""A unit's probe verdict in words, for captions a class reads: "edge, 90° (vertical), dark-to-light".

Conventions (the probe's, `viz.probing.tagging`): an orientation is the angle of the edge line from horizontal,
counter-clockwise, in degrees; a direction (where a curve bulges, where a corner opens) is counter-clockwise
from "right". An edge's polarity is read across it from left to right, or from top to bottom when the edge is
named horizontal: "dark-to-light" on a vertical edge means dark on the left, light on the right.
"""

from __future__ import annotations

import math

OTHER = "other (no edge, colour or curve drives it)"
OPPONENTS = {((1, 0, 0), (0, 1, 0)): ("red", "green"), ((0, 0, 1), (1, 1, 0)): ("blue", "yellow")}
# the probe's flat colours (0, 0.5 or 1 per channel) by name; mid-grey is the reference, never a stimulus
COLOUR_NAMES = {
    (0, 0, 0): "black", (1, 1, 1): "white", (1, 0, 0): "red", (0, 1, 0): "green", (0, 0, 1): "blue",
    (1, 1, 0): "yellow", (0, 1, 1): "cyan", (1, 0, 1): "magenta", (1, .5, 0): "orange", (1, 0, .5): "pink-red",
    (.5, 1, 0): "yellow-green", (0, 1, .5): "spring green", (.5, 0, 1): "violet", (0, .5, 1): "azure",
    (.5, 0, 0): "dark red", (0, .5, 0): "dark green", (0, 0, .5): "dark blue", (.5, .5, 0): "olive",
    (0, .5, .5): "teal", (.5, 0, .5): "purple", (1, .5, .5): "pink", (.5, 1, .5): "light green",
    (.5, .5, 1): "light blue", (1, 1, .5): "light yellow", (.5, 1, 1): "light cyan", (1, .5, 1): "light magenta",
}
SIDES = ("right", "upper right", "up", "upper left", "left", "lower left", "down", "lower right")


def orientation_words(degrees: float) -> str:
    """'90° (vertical)': the angle and the nearest of horizontal, vertical and the two diagonals."""
    names = {0: "horizontal", 45: "diagonal /", 90: "vertical", 135: "diagonal \\"}
    nearest = min(names, key=lambda n: min(abs(degrees - n) % 180, 180 - abs(degrees - n) % 180))
    return f"{degrees:.0f}° ({names[nearest]})"


def _is_horizontal(degrees: float) -> bool:
    return min(degrees % 180, 180 - degrees % 180) < 22.5


def _light_side(theta: float, polarity: int) -> tuple[float, float]:
    """(x right, y up) of the normal pointing to the stimulus's light side (see `tagging._draw`)."""
    t = math.radians(theta)
    return -polarity * math.sin(t), polarity * math.cos(t)


def _across(orientation: float, theta: float, polarity: int, first: str, second: str) -> str:
    """'{dark}-to-{light}' read left to right (top to bottom on a horizontal edge); `first` is the light side."""
    x, y = _light_side(theta, polarity)
    light_last = y < 0 if _is_horizontal(orientation) or abs(x) < 1e-6 else x > 0
    return f"{second}-to-{first}" if light_last else f"{first}-to-{second}"


def direction_words(degrees: float) -> str:
    return SIDES[round((degrees % 360) / 45) % 8]


def colour_name(rgb) -> str:
    key = tuple(float(c) for c in rgb)
    return COLOUR_NAMES.get(key, "rgb(" + ", ".join(f"{c:g}" for c in key) + ")")


def describe(tag: str, orientation: float | None = None, stimulus=None) -> str:
    """The words for a probe verdict: its tag, orientation and best stimulus of that tag (`UnitProbe.tagged`).

    "edge, 90° (vertical), dark-to-light", "blue-yellow boundary, 0° (horizontal), yellow-to-blue",
    "grating, 45° (diagonal /), period 8 px", "colour: orange", "curve, radius 8 px, bulging left, light
    inside", "corner opening up, dark inside", "other (...)". Without a stimulus, the tag and orientation only.
    """
    if tag == "other":
        return OTHER
    if stimulus is None:
        return tag if orientation is None else f"{tag}, {orientation_words(orientation)}"
    family, p = stimulus.family, stimulus.params
    if family in ("edge", "opponent"):
        theta, polarity, light, dark = p
        angle = theta if orientation is None else orientation
        if family == "edge":
            return f"edge, {orientation_words(angle)}, {_across(angle, theta, polarity, 'light', 'dark')}"
        first, second = OPPONENTS.get((tuple(light), tuple(dark)), (colour_name(light), colour_name(dark)))
        return f"{first}-{second} boundary, {orientation_words(angle)}, {_across(angle, theta, polarity, first, second)}"
    if family == "grating":
        theta, period, _ = p
        return f"grating, {orientation_words(theta if orientation is None else orientation)}, period {period} px"
    if family == "flat":
        return f"colour: {colour_name(p[0])}"
    if family == "curved edge":
        radius, direction, polarity = p
        inside = "light" if polarity > 0 else "dark"
        return f"curve, radius {radius} px, bulging {direction_words(direction + 180)}, {inside} inside"
    direction, polarity = p
    return f"corner opening {direction_words(direction)}, {'light' if polarity > 0 else 'dark'} inside"
