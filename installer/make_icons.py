"""Render the application icon resources/icons/territory-desk.svg to every size the installers need.

    python installer/make_icons.py [--check]

Writes resources/icons/territory-desk-<N>.png for N in 16..512, territory-desk.ico (Windows:
16..256) and territory-desk.icns (macOS: 16..1024). Qt's SVG renderer draws each size from the SVG
(so small sizes are drawn, not shrunk from a big bitmap); Pillow writes the .ico and .icns
containers from those drawings. The outputs are committed, so a build needs neither step; run this
after editing the SVG. `--check` only reports whether the committed files are present.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "territory-desk.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def outputs() -> list[Path]:
    names = [f"territory-desk-{n}.png" for n in PNG_SIZES] + ["territory-desk.ico", "territory-desk.icns"]
    return [ICONS / n for n in names]


def render_png(size: int) -> bytes:
    """The SVG drawn at size×size pixels, as PNG bytes (transparent background)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {SVG} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only check that every output exists")
    a = p.parse_args(argv)
    missing = [str(f) for f in outputs() if not f.exists()]
    if a.check:
        for f in missing:
            print(f"missing: {f}")
        return 1 if missing else 0

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 (QImage/QPainter need it)
    images: dict[int, Image.Image] = {}
    for n in sorted(set(PNG_SIZES) | set(ICO_SIZES) | set(ICNS_SIZES)):
        png = render_png(n)
        images[n] = Image.open(io.BytesIO(png)).convert("RGBA")
        if n in PNG_SIZES:
            (ICONS / f"territory-desk-{n}.png").write_bytes(png)
    biggest = images[max(ICO_SIZES)]
    biggest.save(ICONS / "territory-desk.ico", format="ICO", sizes=[(n, n) for n in ICO_SIZES],
                 append_images=[images[n] for n in ICO_SIZES if n != max(ICO_SIZES)])
    images[max(ICNS_SIZES)].save(ICONS / "territory-desk.icns", format="ICNS",
                                 append_images=[images[n] for n in ICNS_SIZES if n != max(ICNS_SIZES)])
    for f in outputs():
        print(f"{f.relative_to(ICONS.parent.parent)}: {f.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
