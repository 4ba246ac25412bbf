#!/usr/bin/env bash
# make fuzz: run each libFuzzer harness in build-fuzz/ for FUZZ_SECONDS on
# a copy of its committed seed corpus (tests/fuzz/corpus/NAME). A crash
# leaves its input in build-fuzz/ and fails. FUZZ_TARGETS="a b" runs only
# those harnesses.
set -u
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
status=0
for f in ${FUZZ_TARGETS:-hook_input control layer_index layer_build}; do
	corpus=build-fuzz/corpus-$f
	rm -rf "$corpus" && cp -r "tests/fuzz/corpus/$f" "$corpus"
	log=build-fuzz/$f.log
	if (cd build-fuzz && "./fuzz_$f" -max_total_time="$seconds" -print_final_stats=1 \
		"corpus-$f") >"$log" 2>&1; then
		echo "fuzz_$f: $(grep -E '^Done' "$log"), corpus $(ls "$corpus" | wc -l) inputs"
	else
		echo "fuzz_$f: FAILED (input saved in build-fuzz/):"
		grep -E '^==[0-9]+==|SUMMARY|^artifact' "$log" | head -10
		status=1
	fi
done
exit $status
