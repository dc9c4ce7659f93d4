#!/usr/bin/env bash
# macOS build: dist/territory_desk.app and dist/territory-desk-VERSION-macos-ARCH.dmg. Needs
# Python 3.11 (python.org installer or Homebrew) and the Xcode command-line tools. From anywhere:
#
#   bash installer/macos/build_app.sh
#
# The .app comes from installer/territory_desk.spec (its BUNDLE step runs on macOS only): bundle id
# org.territorydesk.territory_desk, the icon resources/icons/territory-desk.icns, and
# CFBundleDocumentTypes declaring .gpkg (org.opengeospatial.geopackage) with LSHandlerRank
# "Alternate", so Finder offers territory_desk under "Open With" without taking the default from
# QGIS. A double-clicked project arrives as the app's argument at launch (argv emulation).
# Signing: set CODESIGN_IDENTITY="Developer ID Application: ..." to sign the app (the spec passes it
# to PyInstaller); notarising the .dmg (xcrun notarytool) is a release step outside this script.
# Unsigned builds open with right-click > Open the first time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3.11}"
VENV="${INSTALLER_VENV:-build/installer/venv-macos}"
APP="dist/territory_desk.app"
start=$(date +%s)

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q . "pyinstaller>=6.10,<7" pyinstaller-hooks-contrib pillow
rm -rf "$APP" dist/territory-desk
"$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/installer/work installer/territory_desk.spec

EXE="$APP/Contents/MacOS/territory-desk"
VERSION="$("$EXE" --version | awk '{print $2}')"
# smoke test: the CLI and the GUI self-test on the offscreen platform
smoke="$(mktemp -d)"
trap 'rm -rf "$smoke"' EXIT
"$EXE" demo "$smoke/demo.gpkg" --seed 1
"$EXE" stats "$smoke/demo.gpkg" | head -3
QT_QPA_PLATFORM=offscreen "$EXE" --selftest "$smoke/demo.gpkg"
/usr/libexec/PlistBuddy -c 'Print :CFBundleDocumentTypes:0:LSItemContentTypes:0' "$APP/Contents/Info.plist"

# the disk image: the app and a link to /Applications to drag it onto
stage="build/installer/dmg"
rm -rf "$stage"
mkdir -p "$stage"
cp -R "$APP" "$stage/"
ln -s /Applications "$stage/Applications"
DMG="dist/territory-desk-$VERSION-macos-$(uname -m).dmg"
hdiutil create -volname "territory_desk $VERSION" -srcfolder "$stage" -ov -format UDZO "$DMG"
rm -rf "$stage"

echo "app: $ROOT/$APP ($(du -sm "$APP" | cut -f1) MB)"
echo "disk image: $ROOT/$DMG ($(du -sm "$DMG" | cut -f1) MB)"
echo "build time: $(( $(date +%s) - start )) s"
