#!/usr/bin/env bash
# Issue 10 item 5: a workload that swaps directories of its tree for
# symlinks to host directories while migrate and detach repin files in
# them (racing), or before detach replays a killed repin's journal and
# repins live files (deterministic), never makes ovlmig follow one.
# Afterwards the host canaries (files at the same relative names outside
# the overlay, and the metadata layer, whose inode numbers match the
# image's) are byte-identical with the same mode, owner, inode and times;
# no .ovlmig-repin-* name was made or removed outside the overlay; no
# ovlmig command was killed by a signal; and the live file under a
# directory swapped before detach is skipped with a reason.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig path safety"
fusectl_ready || { fail "mount fusectl"; exit 1; }

APPS=6
src=$T/src host=$T/host
# The image: per app a bin/ of executables (one setuid root, one setgid
# with another owner) and a lib/ of data files, a hardlink across the
# two; srv/ holds the files the deterministic part keeps open.
make_image() {
	local a d i
	for ((a = 0; a < APPS; a++)); do
		d=$src/opt/app$a
		mkdir -p "$d/bin" "$d/lib"
		for i in 0 1 2 3 4 5; do
			head -c 65536 /dev/urandom >"$d/bin/x$i"
			chmod 0755 "$d/bin/x$i"
			head -c 32768 /dev/urandom >"$d/lib/l$i"
		done
		chmod 4755 "$d/bin/x0"
		chown 1234:1234 "$d/bin/x1" && chmod 2750 "$d/bin/x1"
		chown 1234:1234 "$d/lib/l1" && chmod 0600 "$d/lib/l1"
		ln "$d/bin/x2" "$d/lib/x2.link"
	done
	cp "$TOOLS/holder" "$src/opt/app0/bin/holder"
	mkdir -p "$src/srv/data" "$src/srv/more"
	head -c 2000000 /dev/urandom >"$src/srv/data/held"
	chown 1234:1234 "$src/srv/data/held" && chmod 2640 "$src/srv/data/held"
	head -c 1000000 /dev/urandom >"$src/srv/data/mapped"
	head -c 500000 /dev/urandom >"$src/srv/more/held2"
	chmod 4644 "$src/srv/more/held2"	# setuid, no x: copied up, not swapped
}
# Host directories at the same relative names, files of their own.
make_canaries() {
	local a d f
	for ((a = 0; a < APPS; a++)); do
		for d in bin lib; do
			mkdir -p "$host/app$a/$d"
			for f in "$src/opt/app$a/$d"/*; do
				echo "host canary $a/$d/${f##*/}" >"$host/app$a/$d/${f##*/}"
			done
		done
	done
	mkdir -p "$host/more"
	echo "host canary held2" >"$host/more/held2"
	# a host file named like a temporary name of ours
	echo "host canary named like ours" >"$host/more/.ovlmig-repin-99-0-held2"
}
# Everything that may not change in a host tree: names, types, inodes,
# modes, owners, sizes, mtimes, content.
record() {
	(cd "$1" && find . -printf '%p %y %i %m %U %G %s %T@\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0r sha256sum)
}
strays() { find "$@" -name '.ovlmig-repin-*' 2>/dev/null | sort; }
# exit status of an ovlmig command: failing is allowed, a signal is not
no_signal() {
	if (($2 >= 128)); then fail "$1 killed by signal $(($2 - 128))" "$(cat "$3")"; else ok "$1 ended by itself (exit $2)"; fi
}

make_image
make_canaries
record "$host" >"$T/host.before"
strays "$host" >"$T/strays.before"

pids=()
stop_all() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
}
# wait_file FILE: a helper said it is ready
wait_file() {
	for _ in $(seq 200); do [[ -e $1 ]] && return 0; sleep 0.05; done
	return 1
}
start_swapper() {
	local name=$1; shift
	"$TOOLS/swapper" --ready "$T/$name.ready" "$@" >"$T/$name.out" 2>&1 &
	swapper=$!
	pids+=($swapper)
	wait_file "$T/$name.ready" || fail "swapper $name did not start" "$(cat "$T/$name.out")"
}
stop_swapper() {
	kill -TERM "$swapper"
	if wait "$swapper"; then ok "swapper $1: $(cat "$T/$1.out")"; else fail "swapper $1" "$(cat "$T/$1.out")"; fi
}

# --- racing: swaps during migrate and during detach ---
m=$T/m
ovlmig_mount "$m" --source "dir:$src" --upper "$T/u" --work "$T/w" --meta "$T/meta" >/dev/null ||
	{ fail "mount"; exit 1; }
on_exit stop_all	# before the unmount: they hold files in it
record "$T/meta" >"$T/meta.before"

# live at detach: files opened before migrate, a running image binary
fds=()
for ((a = 0; a < APPS; a++)); do fds+=("$m/opt/app$a/lib/l2" "$m/opt/app$a/lib/l3"); done
sleep 100000 3<"${fds[0]}" 4<"${fds[1]}" 5<"${fds[2]}" 6<"${fds[3]}" 7<"${fds[4]}" \
	8<"${fds[5]}" 9<"${fds[6]}" 10<"${fds[7]}" 11<"${fds[8]}" 12<"${fds[9]}" &
pids+=($!)
"$m/opt/app0/bin/holder" --report "$T/exe.report" --ready "$T/exe.ready" &
exe=$!
pids+=($exe)
wait_file "$T/exe.ready" || fail "holder did not start"

pairs=()
for ((a = 0; a < APPS; a++)); do
	pairs+=("$m/opt/app$a/bin=$host/app$a/bin" "$m/opt/app$a/lib=$host/app$a/lib")
done
start_swapper migrate "${pairs[@]}"
"$OVLMIG" migrate --jobs 2 "$m" >"$T/migrate.out" 2>&1
no_signal "migrate while directories are swapped" $? "$T/migrate.out"
stop_swapper migrate
if "$OVLMIG" migrate "$m" >"$T/migrate2.out" 2>&1; then ok "migrate again, tree left alone: $(cat "$T/migrate2.out")"; else fail "migrate again" "$(cat "$T/migrate2.out")"; fi

pairs=()
for ((a = 0; a < APPS; a++)); do pairs+=("$m/opt/app$a/lib=$host/app$a/lib"); done
start_swapper detach "${pairs[@]}"
"$OVLMIG" detach "$m" >"$T/detach.out" 2>&1
no_signal "detach while directories are swapped" $? "$T/detach.out"
stop_swapper detach
phase=$("$OVLMIG" status --json "$m" | jq -r .phase)
if [[ $phase != detached ]]; then
	if "$OVLMIG" detach "$m" >"$T/detach2.out" 2>&1; then ok "detach again, tree left alone"; else fail "detach again" "$(cat "$T/detach2.out")"; fi
fi
kill -TERM "$exe"
wait "$exe"; rc=$?
[[ $rc -eq 0 && $(cat "$T/exe.report") == *" errors=0 "* ]] &&
	ok "running image binary kept running: $(cat "$T/exe.report")" ||
	fail "running image binary: exit $rc" "$(cat "$T/exe.report" 2>/dev/null)"

# --- deterministic: directories swapped before detach ---
m2=$T/m2 meta2=$T/meta2
ovlmig_mount "$m2" --source "dir:$src" --upper "$T/u2" --work "$T/w2" --meta "$meta2" >/dev/null ||
	{ fail "mount 2"; exit 1; }
on_exit stop_all
record "$meta2" >"$T/meta2.before"
sleep 100000 3<"$m2/srv/data/held" 4<"$m2/srv/more/held2" &
pids+=($!)
"$TOOLS/holder" --mmap "$m2/srv/data/mapped" --report "$T/mmap.report" --ready "$T/mmap.ready" &
mm=$!
pids+=($mm)
wait_file "$T/mmap.ready" || fail "mmap holder did not start"
if "$OVLMIG" migrate "$m2" >"$T/migrate3.out" 2>&1; then ok "migrate 2"; else fail "migrate 2" "$(cat "$T/migrate3.out")"; fi
# srv/data now leads into the metadata layer, whose files have the very
# inode numbers the image's files show through the overlay; srv/more to
# a plain host directory
mv "$m2/srv/data" "$m2/srv/data.moved" && ln -s "$meta2/srv/data" "$m2/srv/data" &&
	mv "$m2/srv/more" "$m2/srv/more.moved" && ln -s "$host/more" "$m2/srv/more" ||
	fail "swap srv/data and srv/more for symlinks"
# the journal a detach killed amid its repins leaves: a temporary name
# and directory times, replayed by the next detach
state=$OVLMIG_RUN_DIR/$("$OVLMIG" status --json "$m2" | jq -r .name)
printf 'T srv/more/.ovlmig-repin-99-0-held2\nD 1 0 1 0 srv/more\nD 1 0 1 0 srv/data\n' \
	>"$state/repin.journal" || fail "write $state/repin.journal"
"$OVLMIG" detach "$m2" >"$T/detach3.out" 2>&1
rc=$?
no_signal "detach with directories swapped before it" $rc "$T/detach3.out"
[[ $rc -eq 0 ]] && ok "detach with swapped directories: $(tail -1 "$T/detach3.out")" ||
	fail "detach with swapped directories (exit $rc)" "$(cat "$T/detach3.out")"
[[ -f $state/repin.journal && ! -s $state/repin.journal ]] &&
	ok "the journal was replayed" || fail "the journal was not replayed" "$(cat "$state/repin.journal")"
for f in srv/data/held srv/more/held2; do
	grep -q "$f: .*symbolic link" "$T/detach3.out" &&
		ok "live $f under a swapped directory skipped with a reason" ||
		fail "no reason given for skipping $f" "$(cat "$T/detach3.out")"
done
kill -TERM "$mm"
wait "$mm"; rc=$?
[[ $rc -eq 0 && $(cat "$T/mmap.report") == *" errors=0 "* ]] &&
	ok "mapping kept working: $(cat "$T/mmap.report")" ||
	fail "mapping: exit $rc" "$(cat "$T/mmap.report" 2>/dev/null)"

# --- what must hold after all of it ---
record "$host" >"$T/host.after"
diff -u "$T/host.before" "$T/host.after" >"$T/host.diff" &&
	ok "host canaries unchanged ($(grep -c ' f ' "$T/host.before") files)" ||
	fail "host canaries changed" "$(head -20 "$T/host.diff")"
for x in meta meta2; do
	record "$T/$x" >"$T/$x.after"
	diff -u "$T/$x.before" "$T/$x.after" >"$T/$x.diff" &&
		ok "metadata layer $x unchanged" ||
		fail "metadata layer $x changed" "$(head -20 "$T/$x.diff")"
done
strays "$host" "$T/meta" "$meta2" >"$T/strays.after"
diff -u "$T/strays.before" "$T/strays.after" >"$T/strays.diff" &&
	ok "no .ovlmig-repin-* names made or removed outside the overlays" ||
	fail "temporary names outside the overlays" "$(head -8 "$T/strays.diff")"
