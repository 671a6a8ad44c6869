#!/usr/bin/env python3
"""Generate the PWA / favicon / badge icons for 基层法律服务台账 (Grassroots Ledger).

Run from anywhere with the project virtualenv:

    /work/main/.venv/bin/python /work/main/static/icons/make_icons.py

The mark is purely geometric (no font needed): a white "ledger page" with
ruled lines and a check mark, on the accent colour #0b5d4b.  Everything is
drawn at SUPERSAMPLE x the target size and downscaled with LANCZOS for clean
anti-aliased edges.  Output PNGs are written next to this script.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SUPERSAMPLE = 4

ACCENT = (11, 93, 75, 255)        # #0b5d4b
ACCENT_LIGHT = (120, 176, 160, 255)  # ruled lines on the page
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)


def _page_mark(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float],
               *, detail: bool, page=WHITE, ink=ACCENT, lines=ACCENT_LIGHT) -> None:
    """Draw the ledger-page-with-check mark centred inside *box* (x0, y0, x1, y1).

    The page is portrait (width:height = 0.8:1) and fills the box height.
    With detail=False the ruled lines are omitted (for tiny sizes).
    """
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    ph = min(bh, bw / 0.8)
    pw = ph * 0.8
    px0 = x0 + (bw - pw) / 2
    py0 = y0 + (bh - ph) / 2
    px1, py1 = px0 + pw, py0 + ph
    u = ph  # unit

    # Page with rounded corners.
    draw.rounded_rectangle((px0, py0, px1, py1), radius=u * 0.11, fill=page)

    # Ruled "ledger" lines in the upper part of the page.
    if detail:
        lw = u * 0.055
        lx0 = px0 + pw * 0.17
        for i, frac in enumerate((0.62, 0.46)):
            ly = py0 + u * (0.17 + i * 0.14)
            draw.rounded_rectangle((lx0, ly, lx0 + pw * frac, ly + lw),
                                   radius=lw / 2, fill=lines)

    # Check mark: a thick polyline with round caps/joins, lower half of page.
    stroke = u * (0.12 if detail else 0.15)
    if detail:
        pts = [(0.25, 0.66), (0.42, 0.81), (0.75, 0.47)]
    else:
        pts = [(0.22, 0.55), (0.42, 0.75), (0.78, 0.36)]
    pts = [(px0 + fx * pw, py0 + fy * ph) for fx, fy in pts]
    draw.line(pts, fill=ink, width=round(stroke), joint="curve")
    r = stroke / 2
    for cx, cy in (pts[0], pts[-1]):
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ink)


def render(size: int, *, content: float, corner: float, detail: bool = True,
           bg=ACCENT, transparent_corners: bool = True) -> Image.Image:
    """Full icon: background square (optionally rounded) + centred mark.

    content: fraction of the canvas height the page occupies.
    corner: corner radius of the background as fraction of size (0 = full bleed).
    """
    s = size * SUPERSAMPLE
    img = Image.new("RGBA", (s, s), CLEAR if transparent_corners else bg)
    d = ImageDraw.Draw(img)
    if corner > 0:
        d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s * corner, fill=bg)
    else:
        d.rectangle((0, 0, s, s), fill=bg)
    m = s * (1 - content) / 2
    _page_mark(d, (m, m, s - m, s - m), detail=detail)
    return img.resize((size, size), Image.LANCZOS)


def render_badge(size: int) -> Image.Image:
    """Monochrome badge: white page on transparent, check knocked out.

    Android uses only the alpha channel of notification badges, so the check
    must be transparent (not green) to stay visible.
    """
    s = size * SUPERSAMPLE
    img = Image.new("RGBA", (s, s), CLEAR)
    d = ImageDraw.Draw(img)
    m = s * 0.08
    _page_mark(d, (m, m, s - m, s - m), detail=False, page=WHITE, ink=CLEAR, lines=CLEAR)
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    outputs = {
        # "any" purpose icons: rounded square, transparent corners.
        "icon-192.png": render(192, content=0.62, corner=0.22),
        "icon-512.png": render(512, content=0.62, corner=0.22),
        # Maskable: full-bleed background.  The page is 0.58 tall x 0.464 wide,
        # so its corners sit at radius sqrt(0.29^2 + 0.232^2) ~= 0.371 of the
        # size -- inside the 0.40-radius safe circle (central 80%), even before
        # counting the rounded page corners.
        "maskable-512.png": render(512, content=0.58, corner=0, transparent_corners=False),
        # iOS ignores transparency (fills black) and applies its own mask:
        # opaque, full bleed.
        "apple-touch-icon.png": render(180, content=0.60, corner=0, transparent_corners=False),
        # Tiny favicon: no ruled lines, bigger mark.
        "favicon-32.png": render(32, content=0.72, corner=0.18, detail=False),
        "badge-72.png": render_badge(72),
    }
    for name, img in outputs.items():
        if name in ("maskable-512.png", "apple-touch-icon.png"):
            img = img.convert("RGB")  # guaranteed opaque
        img.save(HERE / name, optimize=True)
        print(f"wrote {name} {img.size[0]}x{img.size[1]} {img.mode}")


if __name__ == "__main__":
    main()
