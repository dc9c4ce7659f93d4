#!/usr/bin/env bash
# The Linux release archive: dist/territory-desk-VERSION-linux-ARCH.tar.gz, from the bundle that
# installer/build.sh built. Users unpack it and run install.sh (no root, no Python):
#
#   bash installer/linux/package.sh
#   tar xzf territory-desk-0.1.0-linux-x86_64.tar.gz && bash territory-desk-0.1.0/install.sh
#
# Layout: territory-desk-VERSION/{install.sh, territory-desk.desktop, territory-desk-mime.xml,
# icons/, app/ (the one-folder bundle)}.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
BUNDLE=dist/territory-desk
[ -x "$BUNDLE/territory-desk" ] || { echo "package.sh: build the bundle first: bash installer/build.sh" >&2; exit 2; }
VERSION="$("$BUNDLE/territory-desk" --version | awk '{print $2}')"
NAME="territory-desk-$VERSION"
STAGE="build/installer/package/$NAME"
rm -rf "build/installer/package"
mkdir -p "$STAGE/icons"
cp installer/linux/install.sh installer/linux/territory-desk.desktop installer/linux/territory-desk-mime.xml "$STAGE/"
cp resources/icons/territory-desk.svg resources/icons/territory-desk-*.png "$STAGE/icons/"
cp -a "$BUNDLE" "$STAGE/app"
OUT="dist/$NAME-linux-$(uname -m).tar.gz"
tar -C build/installer/package -czf "$OUT" "$NAME"
rm -rf build/installer/package
echo "archive: $ROOT/$OUT ($(( $(stat -c %s "$OUT") / 1000000 )) MB)"
