#!/usr/bin/env bash
# ovlmig hook with hostile input: malformed JSON, a relative bundle, a
# config.json that is a symlink out of the bundle, a root.path with "..",
# a bad id: each refused with a clear message, nothing mounted or touched.
# A rootfs that is not an ovlmig mount is none of the hook's business.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig hook input"

b=$T/bundle
mkdir -p "$b/rootfs" "$T/outside"
echo '{"root": {"path": "rootfs"}}' >"$b/config.json"
echo '{"root": {"path": "/etc"}}' >"$T/outside/config.json"
snapshot() { find "$T" -mindepth 1 -path "$OVLMIG_RUN_DIR" -prune -o -printf '%p %s %T@\n' | sort; grep -c " $T" /proc/mounts; }

# refused INPUT WANT [CONFIG]: exit 1, one line naming the problem
refused() {
	local name=$1 input=$2 want=$3 out rc
	out=$(printf '%s' "$input" | "$OVLMIG" hook createRuntime 2>&1); rc=$?
	if [[ $rc -eq 1 && $(wc -l <<<"$out") -eq 1 && $out == *"$want"* ]]; then
		ok "$name refused: $out"
	else
		fail "$name" "exit $rc: $out"
	fi
}
mkdir -p "$T/b2" "$T/b3" "$T/b4" "$T/b5"
ln -sf "$T/outside/config.json" "$T/b2/config.json"
echo '{"root": {"path": "../outside"}}' >"$T/b3/config.json"
echo '{"root": {"path": "/srv/x/../../etc"}}' >"$T/b4/config.json"
echo '{"root": {"path": "rootfs"}, "oops"' >"$T/b5/config.json"
before=$(snapshot)
refused "malformed JSON" '{"id": "c1", "bundle": ' "not valid JSON"
refused "not an object" '["c1"]' "not a JSON object"
refused "missing id" "{\"bundle\": \"$b\"}" 'invalid "id"'
refused "id with a slash" "{\"id\": \"../x\", \"bundle\": \"$b\"}" 'invalid "id"'
refused "relative bundle" '{"id": "c1", "bundle": "bundle"}' '"bundle" must be an absolute path'
refused "missing bundle" "{\"id\": \"c1\", \"bundle\": \"$T/nope\"}" "bundle $T/nope: No such file or directory"


refused "config.json symlink out of the bundle" "{\"id\": \"c1\", \"bundle\": \"$T/b2\"}" "a symlink: refused"

refused "root.path with .." "{\"id\": \"c1\", \"bundle\": \"$T/b3\"}" "contains '..': refused"
refused "absolute root.path with .." "{\"id\": \"c1\", \"bundle\": \"$T/b4\"}" "contains '..': refused"
refused "malformed config.json" "{\"id\": \"c1\", \"bundle\": \"$T/b5\"}" "config.json:"
out=$(echo '{}' | "$OVLMIG" hook createContainer 2>&1); rc=$?
[[ $rc -eq 2 && $out == *"unknown stage"* ]] && ok "unknown stage: exit 2" || fail "unknown stage" "$rc $out"

# a valid state for a rootfs that is not an ovlmig mount: nothing to do
for stage in createRuntime prestart poststop; do
	out=$(echo "{\"id\": \"c1\", \"bundle\": \"$b\", \"pid\": 1}" | "$OVLMIG" hook $stage 2>&1); rc=$?
	[[ $rc -eq 0 && -z $out ]] && ok "$stage on a plain rootfs: exit 0, silent" ||
		fail "$stage on a plain rootfs" "$rc $out"
done
grep -q "is not an ovlmig mount: nothing to do" "$OVLMIG_RUN_DIR/hook.log" &&
	ok "the hook logs what it decided" || fail "hook log"
[[ $(snapshot) == "$before" ]] && ok "nothing mounted or touched" ||
	fail "something changed" "$(diff <(echo "$before") <(snapshot) | head)"
