#!/usr/bin/env bash
# What a container's state or config.json says reaches the hook's log and
# stderr escaped: one line per message, whatever newlines, carriage
# returns, terminal escapes or Unicode line separators the input holds,
# so a container cannot forge log lines or hide text from whoever reads
# RUN_ROOT/hook.log.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig hook log"

log=$OVLMIG_RUN_DIR/hook.log
forged="2001-01-01T00:00:00 createRuntime c9: FORGED"
lines() { [[ -f $log ]] && wc -l <"$log" || echo 0; }

# hook NAME INPUT: run the hook; its stderr goes to $T/NAME.err, and the
# log lines it added to $T/NAME.log
hook() {
	local name=$1 input=$2 before
	before=$(lines)
	printf '%s' "$input" | "$OVLMIG" hook createRuntime >/dev/null 2>"$T/$name.err"
	tail -n +"$((before + 1))" "$log" >"$T/$name.log"
}
one_line() {
	local name=$1 file=$2
	[[ $(wc -l <"$file") -eq 1 ]] && ok "$name: one line" ||
		fail "$name: $(wc -l <"$file") lines" "$(cat -A "$file" | head -3)"
}

# a bundle path with a newline and a whole fake log line after it
hook newline "{\"id\": \"c1\", \"bundle\": \"/nonexistent\\n$forged\"}"
one_line "bundle with a newline: hook.log" "$T/newline.log"
one_line "bundle with a newline: stderr" "$T/newline.err"
grep -q "^$forged" "$log" && fail "a forged line starts a line of hook.log" "$(grep "^2001" "$log")" ||
	ok "no forged line in hook.log"
grep -qF 'bundle /nonexistent\x0a2001-01-01T00:00:00 createRuntime c9: FORGED: No such file or directory' "$T/newline.log" &&
	ok "the newline shows as \\x0a" || fail "the newline is not shown as \\x0a" "$(cat -A "$T/newline.log")"

# a root.path with a carriage return and a terminal escape: it is logged
# on success too (not an ovlmig mount: nothing to do)
b=$T/bundle
mkdir -p "$b"
printf '{"root": {"path": "rootfs\\u001b[2K\\rFORGED"}}' >"$b/config.json"
hook controls "{\"id\": \"c1\", \"bundle\": \"$b\"}"
LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$log" &&
	fail "control bytes in hook.log" "$(cat -A "$log" | grep -m2 '\^')" || ok "no control bytes in hook.log"
grep -qF 'rootfs\x1b[2K\x0dFORGED is not an ovlmig mount' "$T/controls.log" &&
	ok "escape and carriage return show as \\x1b and \\x0d" ||
	fail "controls not shown escaped" "$(cat -A "$T/controls.log")"

# Unicode line and paragraph separators, in a root.path refused for ".."
printf '{"root": {"path": "../x\\u2028%s\\u2029y"}}' "$forged" >"$b/config.json"
hook separators "{\"id\": \"c1\", \"bundle\": \"$b\"}"
grep -qF "'../x\\u{2028}$forged\\u{2029}y' contains '..'" "$T/separators.log" &&
	ok "U+2028 and U+2029 show as \\u{2028} and \\u{2029}" ||
	fail "separators not shown escaped" "$(cat -A "$T/separators.log")"
grep -q $'\u2028' "$log" "$T/separators.err" && fail "a raw U+2028 was written" || ok "no raw U+2028 written"
