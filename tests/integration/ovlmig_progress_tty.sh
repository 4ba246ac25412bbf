#!/usr/bin/env bash
# migrate and detach --wait draw a one-line progress bar (bytes, rate,
# ETA) on a terminal (a pty from script(1)) and print no bar without
# one; status --watch redraws until the mount is detached, or gone.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig progress on a tty"
command -v script >/dev/null || { skip "ovlmig progress on a tty" "no script (util-linux)"; exit 0; }

src=$T/src
"$TOOLS/gentree" --small --seed 31 "$src" >/dev/null || { fail "gentree"; exit 1; }
for m in a b c d e; do
	ovlmig_mount "$T/$m" --source "dir:$src" --upper "$T/u$m" --work "$T/w$m" >/dev/null ||
		{ fail "mount $m"; exit 1; }
done
mib=$(find "$src" -type f -printf '%s\n' | awk '{ n += $1 } END { printf "%.1f", n / 1048576 }')
# on_tty OUT CMD...: CMD on a pty, what it printed there into OUT
on_tty() {
	local out=$1; shift
	script -q -e -c "$(printf '%q ' "$@")" /dev/null >"$out" </dev/null
}
# has_bar FILE: the last redraw of a finished bar, its total the source's bytes
has_bar() {
	tr '\r' '\n' <"$1" | grep -qE "^\[#{20}\] 100% $mib/$mib MiB [0-9.]+ MiB/s ETA 0s"
}

on_tty "$T/a.out" "$OVLMIG" migrate "$T/a" || fail "migrate a on a tty"
has_bar "$T/a.out" && ok "migrate on a tty: a bar of $mib MiB, rate, ETA" ||
	fail "migrate's bar" "$(tr '\r' '\n' <"$T/a.out" | cat -v | tail -3)"
grep -q $'\r' "$T/a.out" && ok "the bar is redrawn in place (\\r)" || fail "no \\r in the bar"

"$OVLMIG" migrate "$T/b" >"$T/b.out" 2>"$T/b.err" || fail "migrate b"
if [[ ! -s $T/b.err ]] && ! grep -q $'\r\\|MiB/s' "$T/b.out"; then
	ok "migrate without a tty: no bar ($(head -c 60 "$T/b.out"))"
else
	fail "migrate without a tty printed a bar" "$(cat -v "$T/b.err" "$T/b.out" | head -3)"
fi

on_tty "$T/c.out" "$OVLMIG" detach --wait "$T/c" || fail "detach --wait c on a tty"
has_bar "$T/c.out" && ok "detach --wait on a tty: the bar" ||
	fail "detach's bar" "$(tr '\r' '\n' <"$T/c.out" | cat -v | tail -3)"
"$OVLMIG" detach --wait "$T/d" >"$T/d.out" 2>"$T/d.err" || fail "detach --wait d"
[[ ! -s $T/d.err ]] && ! grep -q $'\r\\|MiB/s' "$T/d.out" &&
	ok "detach --wait without a tty: no bar" || fail "detach without a tty" "$(cat -v "$T/d.err" | head -3)"

# status --watch on a pty: redraws until a's detach
on_tty "$T/watch.out" "$OVLMIG" status --watch=0.2 "$T/a" &
wpid=$!
on_exit "kill -KILL $wpid"
sleep 1
kill -0 "$wpid" 2>/dev/null && ok "status --watch waits while a is migrated, not detached" ||
	fail "status --watch ended before the detach"
"$OVLMIG" detach "$T/a" >/dev/null || fail "detach a"
for _ in $(seq 100); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$wpid" 2>/dev/null; then
	fail "status --watch still runs after the detach"
else
	wait "$wpid" && ok "status --watch ended after the detach, exit 0" || fail "status --watch exit $?"
fi
n=$(grep -o $'\e\\[H\e\\[J' "$T/watch.out" | wc -l)
[[ $n -ge 3 ]] && ok "status --watch redrew $n times" || fail "status --watch redraws: $n"
tr -d '\r' <"$T/watch.out" | tail -12 | grep -q '^  phase     detached$' &&
	ok "its last report: detached" || fail "last report" "$(tail -5 "$T/watch.out" | cat -v)"

# without a tty: one report after the other, no escape codes; a target
# that goes away (umount) ends it too: its last report is "gone", or
# "stale" when it came between the overlay's unmount and the state's removal
"$OVLMIG" status --watch=0.2 "$T/e" >"$T/e.out" 2>&1 &
wpid=$!
on_exit "kill -KILL $wpid"
sleep 1
"$OVLMIG" umount "$T/e" >/dev/null || fail "umount e"
for _ in $(seq 100); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.1; done
wait "$wpid"; rc=$?
reports=$(grep -c "^$T/e$" "$T/e.out")
if [[ $rc -eq 0 && $reports -ge 2 ]] && tail -3 "$T/e.out" | grep -qE ": gone$|^  stale     " &&
   ! grep -q $'\e' "$T/e.out"; then
	ok "status --watch without a tty: $reports reports, then gone"
else
	fail "status --watch of an unmounted target" "exit $rc, $reports reports: $(tail -3 "$T/e.out" | cat -v)"
fi
out=$("$OVLMIG" status --watch=0 2>&1); rc=$?
[[ $rc -eq 2 && $out == *"--watch=0"* ]] && ok "--watch=0 is refused" || fail "--watch=0" "exit $rc: $out"
