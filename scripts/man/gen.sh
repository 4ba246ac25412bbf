#!/usr/bin/env bash
# scripts/man/gen.sh BUILD PAGE OUT: the man page PAGE (ovlmig or lowerfs)
# from its prose, docs/man/PAGE.8.in, with the lines `.\" @GENERATED@`
# and `.\" @EXIT-CODES@` replaced by what the program's --help prints from
# its option tables (scripts/man/help2roff.awk) and by the exit codes of
# ovlmig/exit_code.h. Run by make; a page can never list an option the
# parser lacks, nor miss one (tests/integration/man_pages.sh).
set -euo pipefail
build=$1 page=$2 out=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
awkf=$top/scripts/man/help2roff.awk
prog=$build/$page
gen=$(mktemp) codes=$(mktemp)
trap 'rm -f "$gen" "$codes"' EXIT

case $page in
ovlmig)
	echo '.SH COMMANDS' >"$gen"
	# the commands in the order `ovlmig --help` lists them
	"$prog" --help | sed -n 's/^    ovlmig \([a-z]*\).*/\1/p' |
	while read -r cmd; do
		printf '.SS "%s"\n' "$cmd"
		"$prog" "$cmd" --help | awk -v usage=1 -f "$awkf"
	done >>"$gen"
	# "EXIT_NAME = N,	/* what it means */" in exit_code.h
	sed -n 's|^\s*EXIT_[A-Z_]* = \([0-9]*\),\s*/\* \(.*\) \*/$|.TP\n.B \1\n\2|p' \
		"$top/ovlmig/exit_code.h" >"$codes"
	[[ -s $codes ]] || { echo "gen.sh: no exit codes in ovlmig/exit_code.h" >&2; exit 1; }
	;;
lowerfs)
	"$prog" --help | awk -v heading=SH -f "$awkf" >"$gen"
	echo '.SH "CTL OPTIONS"' >>"$gen"
	"$prog" ctl --help | awk -v only=options -f "$awkf" >>"$gen"
	;;
*)
	echo "gen.sh: unknown page $page" >&2; exit 2
	;;
esac
[[ $(grep -c '^\.TP' "$gen") -ge 10 ]] ||
	{ echo "gen.sh: $page: too few options in its --help" >&2; exit 1; }
sed -e "/^\.\\\\\" @GENERATED@\$/{r $gen" -e 'd}' \
    -e "/^\.\\\\\" @EXIT-CODES@\$/{r $codes" -e 'd}' \
    "$top/docs/man/$page.8.in" >"$out.tmp"
mv "$out.tmp" "$out"
