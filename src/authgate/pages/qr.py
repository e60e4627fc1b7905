"""The two-factor QR code, drawn on the server as inline SVG (no script, no image request)."""

from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(text: str) -> Markup:
    """``text`` (an ``otpauth://`` URL) as an SVG QR code with a title for screen readers.

    segno writes only geometry and presentation attributes (no ``style``), so the strict CSP of
    the pages allows it inline."""
    code = segno.make(text, error="m")
    svg = code.svg_inline(
        border=4,
        omitsize=True,  # a viewBox instead of a fixed size: the stylesheet sizes it
        dark="#111111",
        light="#ffffff",
        svgclass="qr",
        lineclass=None,
        title="QR code to scan with your authenticator app",
    )
    # segno escapes the title; the rest is numbers and path data, never caller input.
    return Markup(svg)  # noqa: S704


def grouped(secret: str) -> str:
    """A base32 secret in groups of four, easier to type from the screen."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
