#!/usr/bin/env bash
# help_test — every program a user runs answers --help without side effects:
# the scripts (scripts/* executables, tests/run, .ci/run) and the binaries
# ($BUILD/seckill-*). For each: exit 0; text on stdout that names the program;
# nothing created under the state directory it was given (SECKILL_VAR, a path
# that does not exist), nothing changed in the working tree outside var/ and
# the build directories, and no process of its own left running.
# Needs no stack.
. "$(dirname "$0")/../lib.sh"
cd "$TESTS_DIR/.." || exit 1

programs=()
for f in scripts/* tests/run .ci/run "$BUILD"/seckill-*; do
  [ -f "$f" ] && [ -x "$f" ] && programs+=("$f")
done
[ ${#programs[@]} -ge 15 ] || not_ok "the programs are found" "${#programs[@]} of at least 15 (run make first)"

marker=$T/marker
touch "$marker"
sleep 1  # find -newer compares whole seconds on some file systems
for f in "${programs[@]}"; do
  case $f in tests/run|.ci/run) name=$f ;; *) name=$(basename "$f") ;; esac
  state=$T/var-$(basename "$f")
  before=$(pgrep -c -f "$f" || true)
  out=$(SECKILL_VAR=$state timeout 20 "$f" --help 2> "$T/err"); rc=$?
  check "$f --help exits 0" test "$rc" = 0
  check "$f --help names the program" grep -qF -- "$name" <<< "${out:0:2000}"
  check "$f --help creates no state ($state)" test ! -e "$state"
  check "$f --help leaves no process" test "$(pgrep -c -f "$f" || true)" = "$before"
done
changed=$(find . \( -path ./.git -o -path ./var -o -path './build*' \) -prune -o -newer "$marker" -print | head -5)
check "--help changed no file in the tree${changed:+ (}${changed//$'\n'/, }${changed:+)}" test -z "$changed"
finish
