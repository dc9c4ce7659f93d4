#!/usr/bin/env bash
# Start-up time of the built bundle: process start -> demo project opened in the real main window,
# map drawn, one edit painted, frame rendered -> exit (`territory-desk --selftest demo.gpkg`).
#
#   bash installer/measure_startup.sh [RUNS] [BUNDLE_DIR]      # RUNS defaults to 7
#
# The first run is cold: when this runs as root on Linux, the page cache is dropped first (sync;
# echo 3 > /proc/sys/vm/drop_caches), so every library and data file is read from disk as after a
# reboot; otherwise it is marked "first" and is only as cold as the cache allows. The others are
# warm. Prints `name: value unit` lines (medians and p95 over the warm runs) and the bundle size.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-7}"
BUNDLE="$(cd "${2:-$ROOT/dist/territory-desk}" && pwd)"
EXE="$BUNDLE/territory-desk"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/territory-desk-startup.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home" "$WORK/empty-path"
cd "$WORK"

app() {
    env -i HOME="$WORK/home" PATH="$WORK/empty-path" LANG=C.UTF-8 TMPDIR="$WORK" \
        QT_QPA_PLATFORM=offscreen "$EXE" "$@"
}
app demo demo.gpkg --seed 1 >/dev/null

# one timed self-test; prints the wall time in ms
timed_selftest() {
    local t0 t1
    t0=$(date +%s%N)
    app --selftest demo.gpkg >"$WORK/selftest.out" 2>&1 || { cat "$WORK/selftest.out" >&2; exit 1; }
    t1=$(date +%s%N)
    echo $(( (t1 - t0) / 1000000 ))
}

cold_label=startup_first_selftest
if [ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/drop_caches ]; then
    sync
    if echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then cold_label=startup_cold_selftest; fi
fi
cold=$(timed_selftest)
warm=()
for _ in $(seq 1 "$RUNS"); do warm+=("$(timed_selftest)"); done

sorted=($(printf '%s\n' "${warm[@]}" | sort -n))
n=${#sorted[@]}
median=${sorted[$(( (n - 1) / 2 ))]}
p95=${sorted[$(( (n * 95 + 99) / 100 - 1 ))]}
sec() { printf '%d.%02d' $(($1 / 1000)) $((($1 % 1000) / 10)); }
echo "$cold_label: $(sec "$cold") s"
echo "startup_warm_selftest_median: $(sec "$median") s"
echo "startup_warm_selftest_p95: $(sec "$p95") s"
echo "selftest_in_process_last: $(grep -o '[0-9.]* s$' "$WORK/selftest.out")"
echo "bundle_size: $(( $(du -sb "$BUNDLE" | cut -f1) / 1000000 )) MB"
echo "load_average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
