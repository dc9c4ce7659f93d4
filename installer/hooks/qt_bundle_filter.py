"""Which Qt files the bundle leaves out: shared by installer/hooks/hook-PySide6.*.py (which stop the
files before PyInstaller scans their library dependencies) and installer/territory_desk.spec (a
final pass over everything collected). Paths match both wheel layouts: PySide6/Qt/plugins/... (Linux,
macOS) and PySide6/plugins/... (Windows).

Left out: platforms for embedded Linux and VNC (eglfs, linuxfb, vnc, vkkhrdisplay, minimalegl), the
GTK3 platform theme (it drags in the build machine's cairo/pango/gdk-pixbuf; Qt's own Fusion look
and the XDG desktop-portal theme, kept, serve instead), the PDF, TGA and WBMP image formats, the
virtual keyboard, the Wayland compositor-side and OpenGL/Vulkan plugins and its non-desktop shells,
QML tooling, network, SQL and print plugins, and Qt's translations (the app has no translations of
its own and installs no QTranslator).
Kept: xcb, wayland, offscreen and minimal platforms, the other image formats, the SVG icon engine,
compose/ibus input methods, xcb GL integrations, the Wayland xdg-shell and window decorations.
"""
from __future__ import annotations

import os
import re

_PATTERNS = [
    r"PySide6/(Qt/)?plugins/(designer|qmltooling|qmllint|egldeviceintegrations|generic|networkinformation|tls|"
    r"networkaccess|sqldrivers|printsupport|multimedia|position|sensors|texttospeech|canbus|scenegraph|"
    r"webview|geometryloaders|sceneparsers|renderers|renderplugins|assetimporters|"
    r"wayland-graphics-integration-server)(/|$)",
    r"PySide6/(Qt/)?plugins/platforms/(lib)?q(eglfs|linuxfb|vnc|vkkhrdisplay|minimalegl|direct2d)\b",
    r"PySide6/(Qt/)?plugins/platformthemes/(lib)?qgtk3\b",
    r"PySide6/(Qt/)?plugins/imageformats/(lib)?q(pdf|tga|wbmp)\b",
    # Wayland: widgets draw into shared-memory buffers (built into the platform plugin); the
    # graphics-integration plugins serve OpenGL/Vulkan windows, and xdg-shell is the desktop shell
    r"PySide6/(Qt/)?plugins/wayland-graphics-integration-client(/|$)",
    r"PySide6/(Qt/)?plugins/wayland-shell-integration/(lib)?(fullscreen-shell-v1|ivi-shell|qt-shell|wl-shell-plugin)\b",
    r"PySide6/(Qt/)?plugins/platforminputcontexts/(lib)?qtvirtualkeyboard",
    r"PySide6/(Qt/)?qml(/|$)",
    r"(^|/)opengl32sw\.dll$",  # Windows software OpenGL: the widgets draw without OpenGL
    r"PySide6/(Qt/)?translations(/|$)",
    # Qt libraries that only the left-out plugins link against
    r"(^|/)(lib)?Qt6(Pdf|Qml|QmlModels|QmlMeta|QmlWorkerScript|Quick|QuickControls2|QuickTemplates2|"
    r"QuickLayouts|VirtualKeyboard|VirtualKeyboardQml|EglFSDeviceIntegration|EglFsKmsSupport|"
    r"EglFsKmsGbmSupport|Network|PrintSupport|Sql)\b[^/]*$",
]
_LEFT_OUT = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))


def left_out(path: str) -> bool:
    """True for a Qt file (source path or bundle destination) that the bundle does not need."""
    return bool(_LEFT_OUT.search(path.replace(os.sep, "/")))


def keep_hook_entries(entries):
    """Filter a hook's (source path, destination folder) list."""
    return [e for e in entries if not left_out(e[0])]


def keep_toc(toc):
    """Filter an Analysis TOC of (destination name, source path, type) entries."""
    return [e for e in toc if not left_out(e[0])]
