#!/usr/bin/env bash
# Data loss and recovery (issue 10, items 1-4 and 11):
# 1. detach deletes only a cache directory ovlmig made itself: a user's
#    ./cache reached by a relative --cache, or a non-empty --cache, is
#    never deleted (a non-empty one is refused at mount); every path the
#    state records is absolute;
# 2. relative --index, --prefetch-list and tar layer paths survive a
#    kill -9 of lowerfs: the keeper's new lowerfs serves the overlay; a
#    lower that is dead for good is an error in `status` (text, --json);
# 3. lowerfs keeps a built index when the --cache directory did not exist;
# 4. a detached upper mounts again with no lowerfs at all (also with its
#    image gone), and status and umount work on that mount;
# 5. poststop kills the job recorded in job.pid only if that pid is still
#    the job: not an unrelated process that has the pid now.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig data loss and recovery"

src=$T/src
"$TOOLS/gentree" --small --seed 91 "$src" >/dev/null || { fail "gentree"; exit 1; }
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" >"$T/expected"
same_as_image() { diff -q "$T/expected" <("$TOOLS/treesum" --no-atime "$1") >/dev/null; }
state_of() { jq -r ".$2" "$OVLMIG_RUN_DIR/$1/state.json"; }
lowerfs_of() { "$OVLMIG" status --json "$1" | jq -r .lowerfs_pid; }
# a mount whose migrate or detach fails is reported by the checks after it
migrate_detach() { "$OVLMIG" migrate "$1" >/dev/null && "$OVLMIG" detach "$1" >/dev/null; }

# --- 1: the cache ------------------------------------------------------------
# a relative --cache names a directory under the caller's cwd at mount;
# detach run elsewhere, where a same-named ./cache holds user files
mkdir -p "$T/cwd-mount" "$T/cwd-detach/cache"
echo "user data" >"$T/cwd-detach/cache/user-file"
cd "$T/cwd-mount"
ovlmig_mount "$T/m1" --name m1 --source "dir:$src" --upper "$T/u1" --work "$T/w1" \
	--cache cache >/dev/null || fail "mount with a relative --cache"
cd "$T/cwd-detach"
[[ $(state_of m1 cache) == "$T/cwd-mount/cache" ]] && ok "a relative --cache is recorded absolute" ||
	fail "recorded cache path" "$(state_of m1 cache)"
find "$T/m1" -type f -exec cat {} + >/dev/null 2>&1	# fills the cache
migrate_detach "$T/m1"
[[ -f $T/cwd-detach/cache/user-file ]] &&
	ok "detach run from another cwd leaves that cwd's ./cache alone" ||
	fail "detach deleted the caller's ./cache"
[[ ! -e $T/cwd-mount/cache && $(state_of m1 phase) == detached ]] &&
	ok "detach deleted the cache ovlmig made" || fail "cache made at mount" "$(ls -a "$T/cwd-mount")"
cd "$T"

# a --cache that holds someone's files: refused at mount, files intact
# (relative, as in the report, and absolute)
mkdir -p "$T/c2/cache" "$T/c3"
echo "user data" >"$T/c2/cache/user-file"
echo "user data" >"$T/c3/user-file"
n=1
for given in cache "$T/c3"; do
	n=$((n + 1))
	cd "$T/c2"
	mkdir -p "$T/m$n"
	on_exit "ovlmig_cleanup $T/m$n"
	out=$("$OVLMIG" mount --source "dir:$src" --upper "$T/u$n" --work "$T/w$n" \
		--cache "$given" "$T/m$n" 2>&1); rc=$?
	full=$given; [[ $full == /* ]] || full=$T/c2/$given
	if [[ $rc -eq 2 && $out == *"cache directory $full"*"not empty"* ]]; then
		ok "--cache $given holding user files: refused at mount: $out"
	else
		fail "--cache $given holding user files" "exit $rc: $out"
		[[ $rc -eq 0 ]] && "$OVLMIG" detach --wait "$T/m$n" >/dev/null 2>&1
	fi
	cd "$T"
	[[ -f $full/user-file ]] && ok "the user's files in --cache $given are intact" ||
		fail "the user's files in --cache $given were deleted"
done

# an empty directory given as --cache is used, and kept (emptied) at detach
mkdir -p "$T/c4"
ovlmig_mount "$T/m4" --source "dir:$src" --upper "$T/u4" --work "$T/w4" --cache "$T/c4" >/dev/null ||
	fail "mount with an empty --cache"
find "$T/m4" -type f -exec cat {} + >/dev/null 2>&1
migrate_detach "$T/m4"
[[ -d $T/c4 && -z $(ls -A "$T/c4") ]] &&
	ok "an empty --cache given by the user is emptied, not deleted, at detach" ||
	fail "the user's empty --cache" "$(ls -ad "$T/c4" 2>&1; ls -A "$T/c4" 2>&1)"

# --- 2: relative paths for lowerfs; a dead lower ------------------------------
mkdir -p "$T/tsrc/d" "$T/img" "$T/idx" "$T/lists" "$T/cwd2"
for i in $(seq 1 20); do head -c $((RANDOM * 4 + 1)) /dev/urandom >"$T/tsrc/d/f$i"; done
tar -C "$T/tsrc" -cf "$T/img/layer.tar" . || fail "make a tar layer"
"$OVLMIG" index "$T/img/layer.tar" -o "$T/idx/layer.index" >/dev/null 2>&1 || fail "ovlmig index"
echo /d/f1 >"$T/lists/prefetch"
cd "$T/cwd2"
ovlmig_mount "$T/m5" --name m5 --source tar:../img/layer.tar --index ../idx/layer.index \
	--prefetch-list ../lists/prefetch --upper ../u5 --work ../w5 --meta ../meta5 >/dev/null 2>"$T/m5.err" ||
	fail "mount with relative tar layer, --index, --prefetch-list, --upper, --work, --meta" "$(cat "$T/m5.err")"
cd "$T"
args=$(jq -r '.lower_args[]' "$OVLMIG_RUN_DIR/m5/state.json")
[[ $(state_of m5 source) == "tar:$T/img/layer.tar" && $args == *"$T/idx/layer.index"* &&
   $args == *"$T/lists/prefetch"* && $(state_of m5 upper) == "$T/u5" &&
   $(state_of m5 work) == "$T/w5" && $(state_of m5 meta) == "$T/meta5" ]] &&
	ok "the source's layer, --index, --prefetch-list and the layers are recorded absolute" ||
	fail "recorded paths" "$(jq -c . "$OVLMIG_RUN_DIR/m5/state.json")"
cmp -s "$T/tsrc/d/f1" "$T/m5/d/f1" || fail "read through the overlay before the kill"
old=$(lowerfs_of "$T/m5")
[[ $old -gt 0 ]] && kill -9 "$old" || fail "kill lowerfs"
e=0
for i in $(seq 2 20); do timeout 60 cmp -s "$T/tsrc/d/f$i" "$T/m5/d/f$i" || e=$((e + 1)); done
[[ $e -eq 0 ]] && ok "after the kill, the keeper's new lowerfs serves every file" ||
	fail "$e of 19 reads failed after the kill" "$(tail -3 "$OVLMIG_RUN_DIR/m5/keeper.log")"
st=$("$OVLMIG" status --json "$T/m5")
[[ $(jq -r .lower_attached <<<"$st") == true && $(jq -r '.error // empty' <<<"$st") == "" ]] &&
	ok "status: the restarted lower is attached, no error" || fail "status after the restart" "$st"

# a lower that is dead for good: lowerfs killed and its keeper cannot
# start another (the binary it runs now fails)
cat >"$T/lowerfs-wrap" <<EOF
#!/bin/sh
[ -e "$T/wrap-fails" ] && exit 1
exec "$LOWERFS" "\$@"
EOF
chmod +x "$T/lowerfs-wrap"
# (an image not complete in the store: a complete one is mounted with no lowerfs)
OVLMIG_LOWERFS=$T/lowerfs-wrap ovlmig_mount "$T/m6" --name m6 --source "dir:$T/tsrc" \
	--upper "$T/u6" --work "$T/w6" >/dev/null || fail "mount through the wrapper"
touch "$T/wrap-fails"
old=$(lowerfs_of "$T/m6")
[[ $old -gt 0 ]] && kill -9 "$old" || fail "kill lowerfs of m6"
for _ in $(seq 100); do
	grep -q "giving up" "$OVLMIG_RUN_DIR/m6/keeper.log" 2>/dev/null &&
		"$OVLMIG" status --json "$T/m6" | jq -e .error >/dev/null 2>&1 && break
	sleep 0.2
done
st=$("$OVLMIG" status --json "$T/m6"); rc=$?
[[ $rc -eq 1 && $(jq -r .phase <<<"$st") == lazy && $(jq -r '.error // empty' <<<"$st") == *lowerfs* ]] &&
	ok "status --json: a dead lower is an error (exit 1): $(jq -r .error <<<"$st")" ||
	fail "status --json of a dead lower" "exit $rc: $st"
out=$("$OVLMIG" status "$T/m6"); rc=$?
[[ $rc -eq 1 && $out == *"error"*lowerfs* ]] && ok "status: a dead lower is an error in the text too" ||
	fail "status of a dead lower" "exit $rc: $out"
"$OVLMIG" umount "$T/m6" >/dev/null 2>&1 || fail "umount of a mount whose lower died"

# --- 3: a built index is kept in a cache directory that did not exist --------
start_lowerfs idx "tar:$T/img/layer.tar" "$T/mnt3" --cache "$T/newcache" >"$T/out" 2>&1 ||
	fail "lowerfs with a new cache directory" "$(head -3 "$T/out")"
[[ -n $(ls "$T/newcache/indexes/"*.index 2>/dev/null) ]] &&
	ok "the built index is kept in the new cache directory" ||
	fail "no index kept" "$(grep -i index "$T/run-idx/lowerfs.log" | tail -2)"
[[ $(stat -c '%U %a' "$T/newcache" "$T/newcache/indexes" 2>&1) == $'root 700\nroot 700' ]] &&
	ok "the cache directories are root's, mode 0700" ||
	fail "cache directory owner/mode" "$(stat -c '%n %U %a' "$T/newcache" "$T/newcache/indexes")"

# --- 4: a detached upper mounts again with no lowerfs --------------------------
m=$T/m7
ovlmig_mount "$m" --source "dir:$src" --upper "$T/u7" --work "$T/w7" >/dev/null || fail "mount 7"
migrate_detach "$m"
"$OVLMIG" umount "$m" >/dev/null || fail "umount 7"
# the image is gone: the same command line must not need it
mv "$src" "$T/src.away"
if out=$("$OVLMIG" mount --source "dir:$src" --upper "$T/u7" --work "$T/w7" "$m" 2>&1); then
	ok "a detached upper mounts again without its image: $out"
else
	fail "mount of a detached upper" "$out"
fi
mv "$T/src.away" "$src"
st=$("$OVLMIG" status --json "$m")
[[ $(jq -r .phase <<<"$st") == detached && $(jq -r .lower_attached <<<"$st") == false &&
   $(jq -r .lowerfs_pid <<<"$st") == 0 ]] &&
	ok "status: detached, no lower" || fail "status of the remount" "$st"
name=$(jq -r .name <<<"$st")
[[ -n $name && -z $(pgrep -f "lowerfs --run-dir $OVLMIG_RUN_DIR/$name/") ]] &&
	grep -q " $m overlay " /proc/mounts &&
	ok "no lowerfs serves the remount" || fail "a lowerfs was started for a detached upper"
same_as_image "$m" && ok "the remounted tree equals the image" || fail "tree of the remount"
if out=$("$OVLMIG" umount "$m" 2>&1) && ! grep -q " $m " /proc/mounts; then
	ok "umount of the remount: $out"
else
	fail "umount of the remount" "$out"
fi
# after a reboot the same upper can be mounted with no source at all
if out=$("$OVLMIG" mount --upper "$T/u7" --work "$T/w7" "$m" 2>&1) && same_as_image "$m"; then
	ok "a detached upper mounts with no --source: $out"
else
	fail "mount of a detached upper with no --source" "$out"
fi
echo x >"$m/new-file" && [[ -f $T/u7/new-file ]] && ok "a write to the remount lands in the upper" ||
	fail "write to the remount"
"$OVLMIG" umount "$m" >/dev/null 2>&1

# --- 5: job.pid names the job, or nothing is killed ----------------------------
b=$T/b8
mkdir -p "$b/rootfs" "$T/src8"
head -c 30000000 /dev/urandom >"$T/src8/big"
echo '{"root": {"path": "rootfs"}, "annotations": {"io.ovlmig.migrate": "true", "io.ovlmig.bandwidth": "1"}}' \
	>"$b/config.json"
hook() { echo "{\"id\": \"c8\", \"bundle\": \"$b\", \"pid\": 1}" | "$OVLMIG" hook "$1"; }
# kill_job PID: only while PID is still an `ovlmig job` (pids are reused)
kill_job() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q "ovlmig job" && kill -KILL "$1"; }
job_pid_of() { local f=$OVLMIG_RUN_DIR/$1/job.pid; [[ -s $f ]] && cut -d' ' -f1 "$f"; }
ovlmig_mount "$b/rootfs" --name c8 --source "dir:$T/src8" --upper "$T/u8" --work "$T/w8" >/dev/null ||
	fail "mount 8"
# no ovlmig serve here: the hook starts a worker, which writes job.pid
hook createRuntime || fail "createRuntime hook"
for _ in $(seq 100); do job=$(job_pid_of c8) && break; sleep 0.1; done
if [[ -n ${job:-} ]]; then
	on_exit "kill_job $job"
	kill -KILL "$job"
	for _ in $(seq 100); do kill -0 "$job" 2>/dev/null || break; sleep 0.05; done
	# an unrelated process now has the pid of the job (pid reuse)
	sleep 1000 &
	other=$!
	on_exit "kill -KILL $other"
	sed -i "s/^$job\b/$other/" "$OVLMIG_RUN_DIR/c8/job.pid"
	hook poststop || fail "poststop hook"
	grep -q " $b/rootfs " /proc/mounts && fail "poststop left the rootfs mounted"
	kill -0 "$other" 2>/dev/null && ok "poststop did not kill an unrelated process with the job's old pid" ||
		fail "poststop killed pid $other, which was not the job"
else
	fail "no job.pid from the hook's worker" "$(tail -3 "$OVLMIG_RUN_DIR/hook.log")"
fi
# a job that is running is still stopped by poststop
ovlmig_mount "$b/rootfs" --name c8 --source "dir:$T/src8" --upper "$T/u8b" --work "$T/w8b" \
	--meta "$T/meta8b" >/dev/null ||
	fail "mount 8b"
hook createRuntime || fail "createRuntime hook 8b"
job=
for _ in $(seq 100); do job=$(job_pid_of c8) && break; sleep 0.1; done
if [[ -n $job ]]; then
	on_exit "kill_job $job"
	hook poststop || fail "poststop hook 8b"
	gone=no
	for _ in $(seq 100); do kill -0 "$job" 2>/dev/null || { gone=yes; break; }; sleep 0.05; done
	[[ $gone == yes ]] && ! grep -q " $b/rootfs " /proc/mounts &&
		ok "poststop stops the running job and unmounts" || fail "the running job $job survived poststop"
else
	fail "no job.pid for 8b"
fi
