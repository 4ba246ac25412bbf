#!/usr/bin/env bash
# scripts/bench/plot_timeline.sh on a timeline whose shape is known (the
# link's bytes every 0.1 s, the moments of both starts): the SVG is well
# formed XML, has both curves' titles and a label per moment with its
# time, and the data it plotted start at 0 and end at the bytes the link
# carried during each run. Missing input is refused with a message.
# Runs no mount.
. "$(dirname "$0")/../lib.sh"
PLOT=$TOP/scripts/bench/plot_timeline.sh
command -v gnuplot >/dev/null || { fail "gnuplot not installed (scripts/setup-deps.sh)"; exit 1; }

d=$T/tl
mkdir -p "$d"
# ovlmig: starts at t=10 s (1 MB before it, from an earlier run), 1 MB in
# the first 0.5 s, then 10 MB/s until 3 s; pull: starts at t=20 s, 50 MB/s
# for 2 s
s0=1000000000000000000
awk -v s0=$s0 'BEGIN {
	for (i = 0; i <= 300; i++) {
		t = i / 10; b = 1e6
		if (t > 10) b += (t < 10.5 ? (t - 10) * 2e6 : 1e6 + ((t < 13 ? t : 13) - 10.5) * 10e6)
		if (t > 20) b += ((t < 22 ? t : 22) - 20) * 50e6
		printf "%.0f %.0f\n", s0 + i * 1e8, b
	}
}' >"$d/link.txt"
{
	echo "$((s0 + 10000000000)) ovlmig-start"
	echo "$((s0 + 10500000000)) ovlmig-mounted"
	echo "$((s0 + 10700000000)) ovlmig-first-command"
	echo "$((s0 + 13000000000)) ovlmig-migrated"
	echo "$((s0 + 13500000000)) ovlmig-detached"
	echo "$((s0 + 20000000000)) pull-start"
	echo "$((s0 + 22000000000)) pull-extracted"
	echo "$((s0 + 22200000000)) pull-first-command"
} >"$d/marks.txt"

if "$PLOT" "$d" "known timeline" >"$T/out" 2>&1 && [[ -s $d/startup.svg ]]; then
	ok "plot_timeline.sh wrote startup.svg"
else
	fail "plot_timeline.sh" "$(cat "$T/out")"; exit 1
fi
python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$d/startup.svg" 2>"$T/xml" &&
	ok "the SVG is well-formed XML" || fail "SVG XML" "$(cat "$T/xml")"
missing=
for want in "known timeline" "ovlmig: lazy mount" "pull + extract" "mounted 0.50 s" \
	"first command 0.70 s" "migrated 3.00 s" "detached 3.50 s" "extracted 2.00 s" "first command 2.20 s"; do
	grep -qF "$want" "$d/startup.svg" || missing+="'$want' "
done
[[ -z $missing ]] && ok "titles and every moment labelled with its time" || fail "labels missing: $missing"
# independent expectation: ovlmig's run carried 1 + 25 MB, the pull's 100 MB
last() { tail -1 "$d/$1.dat" | awk '{ printf "%.1f", $2 }'; }
first() { head -1 "$d/$1.dat"; }
[[ $(first ovlmig) == "0 0" && $(last ovlmig) == 26.0 && $(first pull) == "0 0" && $(last pull) == 100.0 ]] &&
	ok "curves start at 0 and end at each run's link bytes (26.0 MB, 100.0 MB)" ||
	fail "curve data" "ovlmig $(first ovlmig) .. $(last ovlmig), pull $(first pull) .. $(last pull)"

rm "$d/marks.txt"
"$PLOT" "$d" >"$T/out" 2>&1
rc=$?
[[ $rc -eq 2 ]] && grep -q "marks.txt is missing" "$T/out" &&
	ok "missing marks refused: $(cat "$T/out")" || fail "missing marks: rc $rc" "$(cat "$T/out")"
