#!/usr/bin/env bash
# check-html.sh REPORT.html [--screenshot OUT.png]
#
# Opens an `alloclab compare --html` report in headless Chromium (Debian's
# `chromium` package; not installed by CI) and fails unless the rendered
# page has every table (trace, metrics, configs, recon, definitions) and
# every chart: footprint, usage, overhead, free-blocks, footprint-by-type
# and one carrier map per configuration, each an inline <svg> with text.
# With --screenshot it also saves a PNG of the page.
#
# Exit status: 0 all present, 1 something missing, 2 usage error or no
# chromium.
set -euo pipefail

usage() { echo "usage: $0 REPORT.html [--screenshot OUT.png]" >&2; exit 2; }
[ $# -ge 1 ] || usage
report=$1; shift
shot=""
while [ $# -gt 0 ]; do
	case $1 in
	--screenshot) [ $# -ge 2 ] || usage; shot=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ -f "$report" ] || { echo "check-html: $report: no such file" >&2; exit 2; }

browser=""
for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
[ -n "$browser" ] || { echo "check-html: chromium not found (apt-get install chromium)" >&2; exit 2; }

url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars --virtual-time-budget=5000)
dom=$(mktemp)
trap 'rm -f "$dom"' EXIT
"$browser" "${flags[@]}" --dump-dom "$url" >"$dom" 2>/dev/null

fail=0
missing() { echo "check-html: missing $*" >&2; fail=1; }

for id in trace metrics configs recon definitions; do
	grep -q "<table id=\"$id\"" "$dom" || missing "table #$id"
done
# The configurations, from the rendered configs table: one row each.
configs=$(awk '/<table id="configs"/,/<\/table>/' "$dom" | grep -o '<tr><td class="name">[^<]*</td>' | sed 's/.*">//; s/<.*//')
[ -n "$configs" ] || missing "configurations in #configs"
rows=$(awk '/<table id="metrics"/,/<\/table>/' "$dom" | grep -c '<td class="name">' || true)
[ "$rows" -eq "$(printf '%s\n' "$configs" | grep -c .)" ] || missing "rows of #metrics ($rows for $(printf '%s\n' "$configs" | grep -c .) configurations)"

charts="footprint usage overhead free-blocks footprint-by-type"
for c in $configs; do charts="$charts carrier-map-$c"; done
for c in $charts; do
	# The figure, its inline svg, and drawn text inside it.
	fig=$(awk -v id="id=\"chart-$c\"" 'index($0, id) {on=1} on {print} on && /<\/figure>/ {exit}' "$dom")
	if [ -z "$fig" ]; then missing "chart $c"; continue; fi
	grep -q '<svg' <<<"$fig" || missing "the svg of chart $c"
	grep -q '<text' <<<"$fig" || missing "the text of chart $c"
	grep -q '<path' <<<"$fig" || missing "the drawing of chart $c"
done

if [ -n "$shot" ]; then
	"$browser" "${flags[@]}" --window-size=1280,2400 --screenshot="$shot" "$url" >/dev/null 2>&1
	[ -s "$shot" ] || { echo "check-html: no screenshot written" >&2; fail=1; }
fi
if [ $fail -ne 0 ]; then exit 1; fi
n=$(wc -w <<<"$charts")
echo "check-html: $report: 5 tables and $n charts present"
