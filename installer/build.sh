#!/usr/bin/env bash
# Build the one-folder bundle dist/territory-desk/ (Linux; macOS: installer/macos/build_app.sh,
# Windows: installer/windows/build.ps1). Usage, from anywhere:
#
#   bash installer/build.sh            # or: make installer
#
# Creates (once) a build venv under build/installer/venv with the app's dependencies, PyInstaller
# and Pillow, runs installer/territory_desk.spec, checks that every shared library in the bundle
# resolves, and prints the bundle size and the build time.
# Environment: PYTHON (default python3) makes the venv; INSTALLER_VENV overrides its folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="${INSTALLER_VENV:-build/installer/venv}"
DIST="dist/territory-desk"
PYINSTALLER_REQ="pyinstaller>=6.10,<7"
start=$(date +%s)

log() { printf '== %s\n' "$*"; }

# ---- the build venv: re-installed when pyproject.toml changed -------------------------------------------
stamp="$VENV/.territory-desk-installed"
if [ ! -x "$VENV/bin/python" ]; then
    log "creating the build venv $VENV"
    "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    log "installing territory_desk's dependencies, PyInstaller and Pillow into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # `.` brings the dependencies pinned in pyproject.toml (PySide6 < 6.12); the spec bundles the
    # checkout's own territory_desk (pathex), so code edits need no reinstall.
    "$VENV/bin/python" -m pip install -q . "$PYINSTALLER_REQ" pyinstaller-hooks-contrib pillow
    touch "$stamp"
fi
"$VENV/bin/python" -m PyInstaller --version | sed 's/^/PyInstaller /'

# ---- icons (committed; regenerated only if one is missing) ----------------------------------------------
if ! "$VENV/bin/python" installer/make_icons.py --check >/dev/null; then
    log "rendering the icons from resources/icons/territory-desk.svg"
    "$VENV/bin/python" installer/make_icons.py
fi

# ---- the bundle -------------------------------------------------------------------------------------------
log "running PyInstaller"
rm -rf "$DIST"
"$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/installer/work installer/territory_desk.spec

# ---- strip symbols where that is proved safe, link duplicate libraries (Linux) --------------------------
if [ "$(uname -s)" = Linux ]; then
    log "slimming the bundle"
    "$VENV/bin/python" installer/slim_bundle.py "$DIST"
fi

# ---- every shared library in the bundle resolves: inside the bundle, or to a library every Linux desktop
# has (X11/xcb, Wayland, OpenGL/EGL, fontconfig/freetype, D-Bus, GLib: the same set the PySide6 wheels
# expect from the system). Anything else unresolved fails the build.
DESKTOP_LIBS='^lib(X|xcb|xkbcommon|wayland-|EGL|GL|GLX|OpenGL|gbm|drm|vulkan|fontconfig|freetype|dbus-1|glib-2|gobject-2|gio-2|gthread-2|gmodule-2|gtk-3|gdk-3|atk|pango|cairo|harfbuzz|png16|z\.|expat|uuid)'
if command -v ldd >/dev/null && [ "$(uname -s)" = Linux ]; then
    log "checking shared-library dependencies"
    missing=""; desktop=""
    while IFS= read -r -d '' f; do
        while read -r lib _; do
            if [[ "$lib" =~ $DESKTOP_LIBS ]]; then desktop+="$lib"$'\n'
            else missing+="  ${f#"$DIST"/} needs $lib"$'\n'; fi
        done < <(LD_LIBRARY_PATH="$DIST/_internal" ldd "$f" 2>/dev/null | awk '/not found/ {print $1}')
    done < <(find "$DIST" -type f -name '*.so*' -print0)
    if [ -n "$desktop" ]; then
        echo "left to the desktop (not on this build machine): $(sort -u <<<"$desktop" | xargs)"
    fi
    if [ -n "$missing" ]; then
        printf 'build.sh: unresolved libraries in the bundle:\n%s' "$missing" >&2
        exit 1
    fi
fi

end=$(date +%s)
bytes=$(du -sb "$DIST" | cut -f1)
files=$(find "$DIST" -type f | wc -l)
echo "bundle: $ROOT/$DIST"
echo "bundle size: $((bytes / 1000000)) MB ($((bytes / 1048576)) MiB, ${files} files)"
echo "build time: $((end - start)) s"
