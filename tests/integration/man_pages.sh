#!/usr/bin/env bash
# The man pages made at build time (build/man/, scripts/man/gen.sh):
# groff, mandoc and man render them without a warning, every option each
# --help lists (of every ovlmig command, of lowerfs and lowerfs ctl) is in
# the rendered page under its command, the page lists no option --help
# does not, and every exit code of ovlmig/exit_code.h is under EXIT STATUS.
# Runs no mount.
. "$(dirname "$0")/../lib.sh"
MAN=$BUILD/man

for p in ovlmig lowerfs; do
	page=$MAN/$p.8
	if [[ ! -s $page ]]; then
		fail "$p.8 built" "missing $page"
		continue
	fi
	w=$(LC_ALL=C.UTF-8 groff -man -ww -z "$page" 2>&1)
	[[ -z $w ]] && ok "$p.8: groff -ww: no warning" || fail "$p.8: groff -ww" "$w"
	w=$(mandoc -Tlint -W warning "$page" 2>&1)
	[[ -z $w ]] && ok "$p.8: mandoc -Tlint: no warning" || fail "$p.8: mandoc -Tlint" "$w"
	LC_ALL=C.UTF-8 MANWIDTH=300 man --warnings -l "$page" 2>"$T/$p.err" |
		col -b >"$T/$p.txt"
	if [[ ! -s $T/$p.err && $(head -1 "$T/$p.txt") == "${p^^}(8)"* ]]; then
		ok "$p.8: man -l renders it without warnings"
	else
		fail "$p.8: man -l" "$(head -3 "$T/$p.err" "$T/$p.txt")"
	fi
done

# "SECTION --option" for each option line of a rendered page: SECTION is
# the ovlmig command (a subsection) or the page's section; an optional
# argument ("--watch[=SECONDS]") left out
man_options() {
	awk '/^[A-Z][A-Z ]*$/ { sec = $0 }
	     /^   [a-z]+$/ { sec = $1 }
	     /^       (-[A-Za-z0-9], )?--[a-z-]+/ {
		o = $1; if (o ~ /,$/) o = $2; sub(/\[=.*/, "", o); print sec, o }' "$1" | sort -u
}
# "--option" for each option line of a --help text
help_options() {
	grep -oE '^  (-[A-Za-z0-9],|    )--[a-z-]+' | grep -oE -- '--[a-z-]+'
}

man_options "$T/ovlmig.txt" >"$T/man.ovlmig"
: >"$T/help.ovlmig"
mapfile -t cmds < <("$BUILD/ovlmig" --help | sed -n 's/^    ovlmig \([a-z]*\).*/\1/p')
for c in "${cmds[@]}"; do
	"$BUILD/ovlmig" "$c" --help | help_options | sed "s/^/$c /" >>"$T/help.ovlmig"
done
sort -u -o "$T/help.ovlmig" "$T/help.ovlmig"
((${#cmds[@]} >= 10 && $(wc -l <"$T/help.ovlmig") >= 40)) ||
	fail "ovlmig --help: ${#cmds[@]} commands, $(wc -l <"$T/help.ovlmig") options"
d=$(diff "$T/help.ovlmig" "$T/man.ovlmig")
[[ -z $d ]] && ok "ovlmig.8: the options of all ${#cmds[@]} commands, each under its command, as --help lists them" ||
	fail "ovlmig.8 and --help differ (<: --help only, >: man only)" "$d"

man_options "$T/lowerfs.txt" >"$T/man.lowerfs"
{
	"$BUILD/lowerfs" --help | help_options | sed 's/^/OPTIONS /'
	"$BUILD/lowerfs" ctl --help | help_options | sed 's/^/CTL OPTIONS /'
} | sort -u >"$T/help.lowerfs"
(($(wc -l <"$T/help.lowerfs") >= 20)) || fail "lowerfs --help: few options" "$(cat "$T/help.lowerfs")"
d=$(diff "$T/help.lowerfs" "$T/man.lowerfs")
[[ -z $d ]] && ok "lowerfs.8: the options of lowerfs and lowerfs ctl as --help lists them" ||
	fail "lowerfs.8 and --help differ (<: --help only, >: man only)" "$d"

# the sources and control commands lowerfs --help names
missing=()
while read -r item; do
	# a tag shorter than the indent shares its line with the text, one
	# blank or more after it
	grep -qxF "       $item" "$T/lowerfs.txt" ||
		grep -qF "       $item " "$T/lowerfs.txt" || missing+=("$item")
done < <("$BUILD/lowerfs" --help | sed -n '/^Sources:/,/^Options:/s/^  \([^ ]*\).*/\1/p
	/^Control commands:/,/^$/s/^  \([^ ]*\).*/\1/p')
((${#missing[@]} == 0)) && ok "lowerfs.8: every source kind and control command" ||
	fail "lowerfs.8 lacks" "${missing[*]}"

# exit codes: 0, and every value of ovlmig/exit_code.h
mapfile -t codes < <(sed -n 's/^\s*EXIT_[A-Z_]* = \([0-9]*\),.*/\1/p' "$TOP/ovlmig/exit_code.h")
codes=(0 "${codes[@]}")
listed=$(sed -n '/^EXIT STATUS/,/^[A-Z]/s/^       \([0-9]\+\) .*/\1/p' "$T/ovlmig.txt" | tr '\n' ' ')
((${#codes[@]} >= 4)) && [[ $listed == "${codes[*]} " ]] &&
	ok "ovlmig.8: exit codes ${codes[*]} as in exit_code.h" ||
	fail "ovlmig.8 exit codes" "page: $listed header: ${codes[*]}"
