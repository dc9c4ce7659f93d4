#!/usr/bin/env bash
# Smoke test of the built bundle (bash installer/build.sh first), headless and with no Python:
#
#   bash installer/smoke_test.sh [BUNDLE_DIR]        # or: make installer-smoke
#
# Every command runs under `env -i` with an empty PATH (no python3, no venv), PYTHONPATH and
# PYTHONHOME unset, HOME and the working folder in a fresh temporary folder (so neither the
# checkout nor the user's settings are seen), and QT_QPA_PLATFORM=offscreen. Checks:
#   --version; demo; stats (table and JSON; the JSON equals the checkout's when .venv exists);
#   check; new from a GeoJSON in EPSG:3857 (GDAL + PROJ data); export png/html/pptx/xlsx when the
#   bundle has the export command; the GUI --selftest (opens the demo in the real main window, paints
#   one edit, renders a frame); the icon inside the bundle.
# Prints one line per check and the self-test's wall time; exits 1 when any check failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUNDLE="$(cd "${1:-$ROOT/dist/territory-desk}" 2>/dev/null && pwd)" || {
    echo "smoke_test: no bundle at ${1:-$ROOT/dist/territory-desk}: run bash installer/build.sh first" >&2
    exit 2
}
EXE="$BUNDLE/territory-desk"
[ -x "$EXE" ] || EXE="$BUNDLE/territory-desk.exe"
[ -x "$EXE" ] || { echo "smoke_test: no territory-desk executable in $BUNDLE" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/territory-desk-smoke.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home" "$WORK/empty-path"
cd "$WORK"
failures=0

# the app exactly as a machine without Python runs it
app() {
    env -i HOME="$WORK/home" PATH="$WORK/empty-path" LANG=C.UTF-8 TMPDIR="$WORK" \
        QT_QPA_PLATFORM=offscreen "$EXE" "$@"
}
ok() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; failures=$((failures + 1)); }
skip() { printf 'skip  %s\n' "$*"; }
# run NAME CMD...: the command's output goes to $WORK/NAME.out; prints its tail on failure
run() {
    local name=$1; shift
    if "$@" >"$WORK/$name.out" 2>&1; then return 0; fi
    local rc=$?
    sed 's/^/      | /' "$WORK/$name.out" | tail -15
    return $rc
}
is_png() { [ -f "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }
is_zip() { [ "$(head -c 2 "$1")" = "PK" ]; }

echo "bundle: $BUNDLE ($(du -sh "$BUNDLE" | cut -f1))"
if env -i PATH="$WORK/empty-path" bash -c 'command -v python3 || command -v python' >/dev/null 2>&1; then
    fail "a Python is reachable on the test PATH"
else
    ok "no Python on the PATH the app runs with"
fi

# ---- CLI ------------------------------------------------------------------------------------------
if run version app --version && grep -q '^territory-desk [0-9]' "$WORK/version.out"; then
    ok "--version: $(cat "$WORK/version.out")"
else fail "--version"; fi

if run demo app demo demo.gpkg --seed 1 && [ -s demo.gpkg ]; then
    ok "demo: $(tail -1 "$WORK/demo.out")"
else fail "demo: no project built"; fi

if run stats app stats demo.gpkg && grep -q 'Territory' "$WORK/stats.out"; then
    ok "stats: $(grep -c 'Area' "$WORK/stats.out") territory rows"
else fail "stats (table)"; fi

if run stats_json app stats demo.gpkg --format json && grep -q '"territories"' "$WORK/stats_json.out"; then
    ok "stats --format json"
    if [ -x "$ROOT/.venv/bin/territory-desk" ]; then
        # the same demo built and summarised by the checkout: the bundle carries the same data and code
        if (cd "$WORK" && "$ROOT/.venv/bin/territory-desk" demo checkout-demo.gpkg --seed 1 >/dev/null 2>&1 &&
            "$ROOT/.venv/bin/territory-desk" stats checkout-demo.gpkg --format json >"$WORK/checkout_stats.json" 2>&1) &&
            cmp -s "$WORK/stats_json.out" "$WORK/checkout_stats.json"; then
            ok "the bundle's demo statistics equal the checkout's"
        else
            fail "the bundle's demo statistics differ from the checkout's"
            diff "$WORK/stats_json.out" "$WORK/checkout_stats.json" | head -10 | sed 's/^/      | /'
        fi
    else
        skip "comparison with the checkout (no .venv)"
    fi
else fail "stats --format json"; fi

app check demo.gpkg >"$WORK/check.out" 2>&1
rc=$?
if [ $rc -le 1 ]; then ok "check: exit $rc ($(head -1 "$WORK/check.out"))"; else
    fail "check: exit $rc"; sed 's/^/      | /' "$WORK/check.out" | tail -5; fi

# four squares in Web Mercator: GDAL must resolve EPSG:3857 (proj.db) and pyproj must reproject
cat >grid.geojson <<'EOF'
{"type": "FeatureCollection",
 "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
 "features": [
  {"type": "Feature", "properties": {"code": "A"}, "geometry": {"type": "Polygon", "coordinates": [[[-10000000, 4000000], [-9990000, 4000000], [-9990000, 4010000], [-10000000, 4010000], [-10000000, 4000000]]]}},
  {"type": "Feature", "properties": {"code": "B"}, "geometry": {"type": "Polygon", "coordinates": [[[-9990000, 4000000], [-9980000, 4000000], [-9980000, 4010000], [-9990000, 4010000], [-9990000, 4000000]]]}},
  {"type": "Feature", "properties": {"code": "C"}, "geometry": {"type": "Polygon", "coordinates": [[[-10000000, 4010000], [-9990000, 4010000], [-9990000, 4020000], [-10000000, 4020000], [-10000000, 4010000]]]}},
  {"type": "Feature", "properties": {"code": "D"}, "geometry": {"type": "Polygon", "coordinates": [[[-9990000, 4010000], [-9980000, 4010000], [-9980000, 4020000], [-9990000, 4020000], [-9990000, 4010000]]]}}
 ]}
EOF
if run new app new grid.gpkg --units grid.geojson --id-field code && grep -q '4 units, 4 adjacencies' "$WORK/new.out"; then
    ok "new from a GeoJSON in EPSG:3857: $(tail -1 "$WORK/new.out")"
else fail "new from a GeoJSON in EPSG:3857"; fi

# ---- exports (the export command may not exist yet in older checkouts) ----------------------------------
if app export --help >"$WORK/export_help.out" 2>&1; then
    if run export_png app export demo.gpkg --format png -o map.png && is_png map.png; then
        ok "export --format png: $(tail -1 "$WORK/export_png.out")"
    else fail "export --format png"; fi
    for fmt in html pptx xlsx; do
        if ! grep -q "$fmt" "$WORK/export_help.out"; then skip "export --format $fmt (not offered)"; continue; fi
        if run "export_$fmt" app export demo.gpkg --format "$fmt" -o "out.$fmt" && [ -s "out.$fmt" ]; then
            case $fmt in
                html) grep -qi 'leaflet' "out.$fmt" && ok "export --format html (offline Leaflet inlined)" ||
                        fail "export --format html: no Leaflet in the page" ;;
                *) is_zip "out.$fmt" && ok "export --format $fmt" || fail "export --format $fmt: not a zip container" ;;
            esac
        else fail "export --format $fmt"; fi
    done
else
    skip "export --format png: this bundle has no export command"
fi

# ---- reps, segments, leads, comparison, KPIs, freeform (commands of later issues; skipped when absent) ----
if app match-reps --help >/dev/null 2>&1; then
    if run match_reps app match-reps demo.gpkg --format json && grep -q "\"unmatched_reps\"" "$WORK/match_reps.out"; then
        ok "match-reps (scipy.optimize in the bundle)"
    else fail "match-reps"; fi
    cp demo.gpkg seg.gpkg
    if run layers app layers seg.gpkg --add Enterprise --rule "revenue >= 50000" && run promote app promote seg.gpkg Base &&
       run compare app compare seg.gpkg Base "Enterprise plan" --format json && grep -q '"disruption"' "$WORK/compare.out"; then
        ok "layers / promote / compare"
    else fail "layers / promote / compare"; fi
    printf 'Lead ID,Company,ZIP\nL1,Nobody Inc,10001\nL2,Else LLC,94103\n' >leads.csv
    printf '[{"name": "by ZIP", "type": "unit", "column": "ZIP"}, {"name": "rest", "type": "fallback", "target": "queue", "value": "Inbox"}]' >rules.json
    if run assign app assign demo.gpkg leads.csv -o assigned.csv --rules rules.json && [ "$(wc -l <assigned.csv)" -eq 3 ]; then
        ok "assign: $(tail -1 "$WORK/assign.out")"
    else fail "assign"; fi
    if run kpis app kpis demo.gpkg --format json && run thematic app export demo.gpkg -o thematic.png \
           --thematic accounts:natural_breaks:5 --heatmap && is_png thematic.png; then
        ok "kpis and a thematic export (mapclassify in the bundle)"
    else fail "kpis / thematic export"; fi
    cp demo.gpkg free.gpkg
    if run ff_new app freeform free.gpkg --new-scenario Drawn && run ff_draw app freeform free.gpkg --draw "Field A" \
           --wkt "POLYGON((-100 38, -95 38, -95 42, -100 42, -100 38))" && run ff_stats app stats free.gpkg --format json; then
        ok "freeform: drew a territory and measured it"
    else fail "freeform"; fi
else
    skip "reps, segments, leads, KPIs and freeform commands (not in this bundle)"
fi

# ---- the desktop editor ---------------------------------------------------------------------------------
start=$(date +%s%N)
if run selftest app --selftest demo.gpkg && grep -q '^selftest ok' "$WORK/selftest.out"; then
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    ok "GUI --selftest: $(grep '^selftest ok' "$WORK/selftest.out")"
    printf 'selftest wall time (process start to exit, demo map drawn and one edit painted): %d.%02d s\n' \
        $((ms / 1000)) $(((ms % 1000) / 10))
else fail "GUI --selftest"; fi

if [ -f "$BUNDLE/_internal/resources/icons/territory-desk.svg" ] ||
   [ -f "$BUNDLE/../Resources/resources/icons/territory-desk.svg" ]; then
    ok "application icon in the bundle"
else fail "application icon missing from the bundle"; fi

if [ "$failures" -gt 0 ]; then
    echo "smoke test: $failures check(s) failed"
    exit 1
fi
echo "smoke test: all checks passed"
