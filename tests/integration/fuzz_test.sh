#!/usr/bin/env bash
# fuzz_test — the request parser under libFuzzer (tests/fuzz/request_fuzz.cpp,
# clang++ with ASan + UBSan): `make fuzz-smoke` runs it for FUZZ_SECONDS
# (60 unless set) from a fresh copy of the seeds in tests/fuzz/corpus/. It
# must exit 0, leave no crash input in var/fuzz/ and execute more than 10000
# inputs. Needs no stack. A failing input is kept as var/fuzz/crash-*.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$TESTS_DIR/.." && pwd)
secs=${FUZZ_SECONDS:-60}
log=$(mktemp /tmp/seckill-fuzz.XXXXXX)
at_exit "rm -f '$log'"

artifacts() {
  find "$ROOT/var/fuzz" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) 2>/dev/null | sort
}
before=$(artifacts)
# MAKEFLAGS from an enclosing make (make test) would bring its jobserver and
# command-line variables; this make stands alone.
MAKEFLAGS='' make -s -j2 -C "$ROOT" fuzz-smoke FUZZ_SECONDS="$secs" > "$log" 2>&1
rc=$?
new=$(comm -13 <(printf '%s\n' "$before") <(artifacts) | grep . || true)

if [ "$rc" -eq 0 ]; then ok "make fuzz-smoke (${secs}s) exits 0"
else
  grep -E 'ERROR|runtime error|invariant failed|deadly signal|error:' "$log" | head -20 | sed 's/^/# /'
  not_ok "make fuzz-smoke (${secs}s) exits 0" "exit $rc"
fi
if [ -z "$new" ] && ! grep -qE 'Test unit written to|==ERROR|runtime error' "$log"; then ok "no crash, leak or sanitizer report"
else not_ok "no crash, leak or sanitizer report" "new: $(tr '\n' ' ' <<< "$new")"; fi
runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$log" | tail -1)
echo "# libFuzzer: $(grep '^Done ' "$log" | tail -1)"
if [ -n "$runs" ] && [ "$runs" -gt 10000 ]; then ok "the fuzzer ran $runs inputs (> 10000)"
else not_ok "the fuzzer ran more than 10000 inputs" "got '${runs:-no Done line}'"; fi
finish
