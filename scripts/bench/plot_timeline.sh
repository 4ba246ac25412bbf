#!/usr/bin/env bash
# plot_timeline.sh DIR [TITLE]: draw DIR/startup.svg from what
# `TIMELINE=DIR scripts/bench/startup.sh` wrote: DIR/link.txt (the
# proxy's "UNIX_TIME_NS BYTES" samples, every 0.1 s) and DIR/marks.txt
# ("UNIX_TIME_NS NAME" for ovlmig-start, -mounted, -first-command,
# -migrated, -detached and pull-start, -extracted, -first-command).
# Two curves, each from its own start: MB over the link against seconds,
# for the lazy ovlmig start (mount, first command, migrate, detach) and
# for pull + extract then the command; the moments are labelled points.
# Needs gnuplot (Debian: gnuplot-nox).
set -u -o pipefail
dir=${1:?usage: plot_timeline.sh DIR [TITLE]}
title=${2:-container start over time}
for f in link.txt marks.txt; do
	[[ -s $dir/$f ]] || { echo "plot_timeline.sh: $dir/$f is missing or empty" >&2; exit 2; }
done
command -v gnuplot >/dev/null || { echo "plot_timeline.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 2; }

mark_ns() { awk -v m="$1" '$2 == m { print $1; exit }' "$dir/marks.txt"; }

# series NAME FROM_NS TO_NS: "SECONDS MB" samples from FROM_NS (bytes
# counted from there) to TO_NS
series() {
	awk -v from="$2" -v to="$3" '
		$1 <= from { base = $2 }
		$1 > from && $1 <= to {
			if (!started) { print 0, 0; started = 1 }
			printf "%.2f %.3f\n", ($1 - from) / 1e9, ($2 - base) / 1e6
		}' "$dir/link.txt" >"$dir/$1.dat"
}

# labels SERIES FROM_NS MARK TEXT...: gnuplot labels at the moments
labels() {
	local s=$1 from=$2 m ns x y i=0 dy; shift 2
	while [[ $# -ge 2 ]]; do
		m=$1 ns=$(mark_ns "$1"); shift
		if [[ -n $ns ]]; then
			x=$(awk -v a="$ns" -v b="$from" 'BEGIN { printf "%.2f", (a - b) / 1e9 }')
			# the curve's value at that moment: the last sample before it
			y=$(awk -v x="$x" '$1 <= x { y = $2 } END { printf "%.3f", y + 0 }' "$dir/$s.dat")
			# alternate below and above the curve: moments close together stay readable
			dy=-0.9; ((i++ % 2)) && dy=1.1
			echo "set label \"$1 ${x} s\" at $x,$y point pt 7 ps 0.8 offset 0.6,$dy font \",10\""
		fi
		shift
	done
}

o0=$(mark_ns ovlmig-start) p0=$(mark_ns pull-start)
o1=$(mark_ns ovlmig-detached); [[ -n $o1 ]] || o1=$(mark_ns ovlmig-migrated)
p1=$(mark_ns pull-first-command)
[[ -n $o0 && -n $o1 && -n $p0 && -n $p1 ]] ||
	{ echo "plot_timeline.sh: marks missing in $dir/marks.txt" >&2; exit 2; }
series ovlmig "$o0" "$o1"
series pull "$p0" "$p1"

{
	echo 'set terminal svg size 960,480 dynamic enhanced font "sans,12" background rgb "white"'
	echo "set output \"$dir/startup.svg\""
	echo "set title \"$title\" noenhanced"
	echo 'set xlabel "seconds since the start"'
	echo 'set ylabel "MB over the link (cumulative)"'
	echo 'set key right center'
	echo 'set grid'
	# room on the right and on top for the last labels
	echo 'set offsets 0, graph 0.15, graph 0.08, 0'
	labels ovlmig "$o0" ovlmig-mounted "mounted" ovlmig-first-command "first command" \
		ovlmig-migrated "migrated" ovlmig-detached "detached"
	labels pull "$p0" pull-extracted "extracted" pull-first-command "first command"
	echo "plot \"$dir/ovlmig.dat\" using 1:2 with lines lw 2 title \"ovlmig: lazy mount, first command, migrate, detach\", \\"
	echo "     \"$dir/pull.dat\" using 1:2 with lines lw 2 dt 2 title \"pull + extract, then the first command\""
} >"$dir/startup.gp"
gnuplot "$dir/startup.gp" || { echo "plot_timeline.sh: gnuplot failed" >&2; exit 1; }
echo "plot_timeline.sh: wrote $dir/startup.svg"
