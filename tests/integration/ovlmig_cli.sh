#!/usr/bin/env bash
# ovlmig's command line: every command's --help lists exactly the options
# its parser accepts (both come from one table), `ovlmig --help` lists
# every command, and the synopses in README.md use no option the parser
# does not know. Runs nothing: each call ends in a usage error first.
. "$(dirname "$0")/../lib.sh"
OVLMIG=$BUILD/ovlmig

# the commands, from `ovlmig --help`
mapfile -t cmds < <("$OVLMIG" --help | sed -n 's/^    ovlmig \([a-z]*\).*/\1/p')
((${#cmds[@]} >= 10)) && ok "ovlmig --help lists ${#cmds[@]} commands" ||
	fail "ovlmig --help lists ${#cmds[@]} commands" "$("$OVLMIG" --help)"

# options of CMD as its --help shows them: "NAME ARG" or "NAME" per line
help_options() {
	sed -n 's/^  \(-.,\)\{0,1\} *--\([a-z-]*\)\( [^ ]*\)\{0,1\} .*/\2\3/p' "$T/help.$1"
}

declare -A all_options
for c in "${cmds[@]}"; do
	out=$("$OVLMIG" "$c" --help >"$T/help.$c" 2>&1); rc=$?
	if [[ $rc -eq 0 && $(head -1 "$T/help.$c") == "usage: ovlmig $c"* ]]; then
		ok "$c --help: exit 0, usage line"
	else
		fail "$c --help" "exit $rc: $(head -3 "$T/help.$c")$out"
	fi
	grep -q -- '--help' "$T/help.$c" || fail "$c --help does not list --help"
	while read -r name arg; do
		all_options[$name]=${arg:-}
	done < <(help_options "$c")
done
((${#all_options[@]} >= 20)) && ok "${#all_options[@]} option names in all" ||
	fail "only ${#all_options[@]} option names found" "${!all_options[*]}"

# try CMD OPTION...: the parser's verdict on OPTION, with four operands
# so that every command stops at a usage error after parsing
verdict() {
	local c=$1 out rc; shift
	out=$("$OVLMIG" "$c" "$@" op1 op2 op3 op4 </dev/null 2>&1); rc=$?
	if [[ $out == *"unknown option"* || $out == *"unrecognized option"* ]]; then
		echo unknown
	elif [[ $rc -eq 2 ]]; then
		echo known
	else
		echo "exit $rc: $out"
	fi
}

for c in "${cmds[@]}"; do
	[[ $c == hook ]] && continue	# takes any operands: only --help to check
	listed=$(help_options "$c" | cut -d' ' -f1 | sort | tr '\n' ' ')
	bad=()
	for name in "${!all_options[@]}"; do
		[[ $name == help ]] && continue
		arg=${all_options[$name]}
		v=$(verdict "$c" "--$name" ${arg:+x})
		if [[ " $listed " == *" $name "* ]]; then
			[[ $v == known ]] || bad+=("--$name listed but: $v")
		else
			[[ $v == unknown ]] || bad+=("--$name accepted but not listed: $v")
		fi
	done
	v=$(verdict "$c" --no-such-option)
	[[ $v == unknown ]] || bad+=("--no-such-option: $v")
	((${#bad[@]} == 0)) && ok "$c: the parser accepts exactly what --help lists ($listed)" ||
		fail "$c: parser and help differ" "${bad[*]}"
done
# short options shown as "-x," are accepted as such
for c in "${cmds[@]}"; do
	while read -r short; do
		[[ $short == -h ]] && continue
		v=$(verdict "$c" "$short" x)
		[[ $v == known ]] && ok "$c $short accepted" || fail "$c $short" "$v"
	done < <(sed -n 's/^  \(-.\),--.*/\1/p' "$T/help.$c")
done

# README.md's synopses (the block after "## ovlmig") name no unknown option
awk '/^## ovlmig/{on=1; next} on && /^Example/{exit} on' "$TOP/README.md" |
	awk '/^    ovlmig /{cmd=$2} cmd{while (match($0, /--[a-z-]+/)) {
		print cmd, substr($0, RSTART + 2, RLENGTH - 2); $0 = substr($0, RSTART + RLENGTH)}}' \
	>"$T/readme"
n=0 bad=()
while read -r c name; do
	n=$((n + 1))
	help_options "$c" | cut -d' ' -f1 | grep -qx -- "$name" || bad+=("$c --$name")
done <"$T/readme"
((n > 10 && ${#bad[@]} == 0)) && ok "README.md synopses: $n options, all known" ||
	fail "README.md synopses ($n options)" "unknown: ${bad[*]}"
