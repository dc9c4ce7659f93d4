#!/usr/bin/env bash
# Install territory_desk for the current user (no root): the app, a menu entry with its icon, and
# .gpkg files offered in the file manager's "Open With" list.
#
#   bash install.sh [--prefix DIR] [--bundle DIR] [--make-default]
#   bash install.sh --uninstall [--prefix DIR]
#
# --prefix        where to install (default ~/.local): DIR/lib/territory-desk/ (the app),
#                 DIR/bin/territory-desk (a link for the command line), DIR/share/applications/,
#                 DIR/share/icons/hicolor/, DIR/share/mime/packages/
# --bundle        the one-folder bundle to install (default: ./app beside this script in the release
#                 archive, else dist/territory-desk of the checkout this script is in)
# --make-default  also make territory_desk the default application for .gpkg files. Without it the
#                 app is only added to "Open With": a GIS already set as the default (QGIS) stays so.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PREFIX="$HOME/.local"
BUNDLE=""
MAKE_DEFAULT=0
UNINSTALL=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) PREFIX="$2"; shift 2 ;;
        --bundle) BUNDLE="$2"; shift 2 ;;
        --make-default) MAKE_DEFAULT=1; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

APP_DIR="$PREFIX/lib/territory-desk"
BIN="$PREFIX/bin/territory-desk"
APPS="$PREFIX/share/applications"
ICONS="$PREFIX/share/icons/hicolor"
MIME="$PREFIX/share/mime"
DESKTOP_ID="territory-desk.desktop"
SIZES="16 24 32 48 64 128 256 512"

refresh() {  # caches of the desktop environment; each tool is optional
    if command -v update-mime-database >/dev/null; then update-mime-database "$MIME" >/dev/null 2>&1 || true; fi
    if command -v update-desktop-database >/dev/null; then update-desktop-database "$APPS" >/dev/null 2>&1 || true; fi
    if command -v gtk-update-icon-cache >/dev/null && [ -f "$ICONS/index.theme" ]; then
        gtk-update-icon-cache -f -t "$ICONS" >/dev/null 2>&1 || true
    fi
}

if [ "$UNINSTALL" = 1 ]; then
    rm -rf "$APP_DIR"
    [ -L "$BIN" ] && rm -f "$BIN"
    rm -f "$APPS/$DESKTOP_ID" "$MIME/packages/territory-desk.xml" "$ICONS/scalable/apps/territory-desk.svg"
    for n in $SIZES; do rm -f "$ICONS/${n}x${n}/apps/territory-desk.png"; done
    # the default set by --make-default, if any (xdg-mime writes exactly this line)
    list="${XDG_CONFIG_HOME:-$HOME/.config}/mimeapps.list"
    if [ -f "$list" ]; then sed -i "\|^application/geopackage+sqlite3=${DESKTOP_ID}\$|d" "$list"; fi
    refresh
    echo "territory_desk removed from $PREFIX (your projects are untouched)"
    exit 0
fi

# ---- where the files come from: the release archive or a checkout ------------------------------------
if [ -z "$BUNDLE" ]; then
    if [ -x "$HERE/app/territory-desk" ]; then BUNDLE="$HERE/app"
    else BUNDLE="$HERE/../../dist/territory-desk"; fi
fi
[ -x "$BUNDLE/territory-desk" ] || {
    echo "install.sh: no bundle at $BUNDLE (build it with: bash installer/build.sh)" >&2; exit 2; }
BUNDLE="$(cd "$BUNDLE" && pwd)"
if [ -d "$HERE/icons" ]; then ICON_SRC="$HERE/icons"; else ICON_SRC="$HERE/../../resources/icons"; fi
for f in "$HERE/territory-desk.desktop" "$HERE/territory-desk-mime.xml" "$ICON_SRC/territory-desk.svg"; do
    [ -f "$f" ] || { echo "install.sh: missing $f" >&2; exit 2; }
done

# ---- the app ---------------------------------------------------------------------------------------------
mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$APPS" "$MIME/packages" "$ICONS/scalable/apps"
tmp="$APP_DIR.new.$$"
rm -rf "$tmp"
cp -a "$BUNDLE" "$tmp"                      # -a keeps the bundle's symlinks
rm -rf "$APP_DIR"
mv "$tmp" "$APP_DIR"
ln -sfn "$APP_DIR/territory-desk" "$BIN"
cp "$0" "$APP_DIR/install.sh"              # kept for --uninstall once the archive is gone

# ---- menu entry (absolute Exec: works whether or not ~/.local/bin is on PATH), icons, MIME type --------
sed "s|^Exec=territory-desk |Exec=\"$APP_DIR/territory-desk\" |" "$HERE/territory-desk.desktop" \
    >"$APPS/$DESKTOP_ID"
chmod 644 "$APPS/$DESKTOP_ID"
cp "$ICON_SRC/territory-desk.svg" "$ICONS/scalable/apps/territory-desk.svg"
for n in $SIZES; do
    if [ -f "$ICON_SRC/territory-desk-$n.png" ]; then
        mkdir -p "$ICONS/${n}x${n}/apps"
        cp "$ICON_SRC/territory-desk-$n.png" "$ICONS/${n}x${n}/apps/territory-desk.png"
    fi
done
cp "$HERE/territory-desk-mime.xml" "$MIME/packages/territory-desk.xml"
refresh

if [ "$MAKE_DEFAULT" = 1 ]; then
    if command -v xdg-mime >/dev/null; then
        xdg-mime default "$DESKTOP_ID" application/geopackage+sqlite3
        echo "territory_desk is now the default application for .gpkg files"
    else
        echo "install.sh: xdg-mime not found: .gpkg default left as it was" >&2
    fi
fi

echo "territory_desk installed in $APP_DIR"
echo "  command:   $BIN   (add $PREFIX/bin to PATH if the shell does not find territory-desk)"
echo "  menu:      $APPS/$DESKTOP_ID"
echo "  .gpkg:     offered under \"Open With\" in the file manager"
echo "  uninstall: bash $APP_DIR/install.sh --uninstall$( [ "$PREFIX" = "$HOME/.local" ] || printf ' --prefix %s' "$PREFIX")"
