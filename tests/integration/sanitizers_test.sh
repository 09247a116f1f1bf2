#!/usr/bin/env bash
# sanitizers_test — the unit tests built with AddressSanitizer + UBSan
# (make SANITIZE=1, into build-san/) pass and print no sanitizer report,
# leaks included. It builds build-san/unit-tests only (about a minute on 2
# idle cores from scratch, nothing when up to date), so CI gets sanitizer
# coverage without running the whole suite twice; for that, and for the
# integration tests on sanitized workers, run: make test SANITIZE=1.
# Needs no stack.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$TESTS_DIR/.." && pwd)
log=$(mktemp /tmp/seckill-san.XXXXXX)
at_exit "rm -f '$log'"

# MAKEFLAGS from an enclosing make (make test) would bring its jobserver and
# command-line variables; this make stands alone.
if MAKEFLAGS='' make -s -j2 -C "$ROOT" SANITIZE=1 build-san/unit-tests > "$log" 2>&1; then
  ok "make SANITIZE=1 builds build-san/unit-tests"
else
  grep -E 'error|Error' "$log" | head -20 | sed 's/^/# /'
  not_ok "make SANITIZE=1 builds build-san/unit-tests" "see above"
  finish; exit
fi
check "build-san/unit-tests is linked with ASan and UBSan" \
  bash -c "ldd '$ROOT/build-san/unit-tests' | grep -q libasan && ldd '$ROOT/build-san/unit-tests' | grep -q libubsan"

ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  "$ROOT/build-san/unit-tests" > "$log" 2>&1
rc=$?
echo "# $(grep '^\[doctest\] test cases:' "$log")"
if [ "$rc" -eq 0 ]; then ok "the sanitized unit tests pass"
else grep -E 'ERROR|FAILED|runtime error' "$log" | head -20 | sed 's/^/# /'; not_ok "the sanitized unit tests pass" "exit $rc"; fi
if grep -qE 'runtime error|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer' "$log"; then
  grep -E -A12 'runtime error|ERROR: (Address|Leak)Sanitizer' "$log" | head -40 | sed 's/^/# /'
  not_ok "no ASan, LSan or UBSan report" "see above"
else ok "no ASan, LSan or UBSan report"; fi
finish
