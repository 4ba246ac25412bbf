#!/usr/bin/env bash
# On a machine where pkg-config is not installed yet (a fresh Debian,
# before `make demo` has run scripts/setup-deps.sh), make parses the
# Makefile without "pkg-config: not found" noise, and a build stops at
# once with what to run instead of a compiler error. Runs no mount.
. "$(dirname "$0")/../lib.sh"
# a PATH with the tools make needs and no pkg-config
mkdir -p "$T/bin"
for t in bash sh mkdir rm cat sed gcc cc test; do
	p=$(command -v "$t") && ln -s "$p" "$T/bin/$t"
done
MK=$(command -v make)
out=$(cd "$TOP" && PATH=$T/bin "$MK" -n deps 2>&1)
[[ $out != *pkg-config* ]] && ok "make -n deps: no pkg-config noise" || fail "make -n deps" "$out"
out=$(cd "$TOP" && PATH=$T/bin "$MK" --no-print-directory BUILD="$T/build" all 2>&1)
rc=$?
[[ $rc -ne 0 && $out == *"run scripts/setup-deps.sh (make deps) first"* && $out != *"No such file"* &&
   ! -e $T/build/obj ]] &&
	ok "make all without pkg-config stops before compiling: $(head -1 <<<"$out")" ||
	fail "make all without pkg-config (rc $rc)" "$out"
