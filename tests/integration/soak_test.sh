#!/usr/bin/env bash
# soak_test — the soak (scripts/soak), short: 30 s of reservations and
# cancellations at about 80 % of the measured maximum on a private stack,
# with its checks (zero errors, worker RSS and fds flat, Redis memory
# bounded, everything reconciled). make soak runs the 10-minute one.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
out=$(SOAK_FRESH=0 SOAK_SECONDS=${SOAK_SECONDS:-30} "$ROOT/scripts/soak" 2>&1); rc=$?
printf '%s\n' "$out" | grep -E '^(soak|  |SOAK)' | sed 's/^/# /'
check_eq "the soak passes its checks" 0 "$rc"
check "it served requests at about 80 % of the maximum" grep -Eq '^soak .* [0-9]+ req/s \(target' <<< "$out"
check_eq "with zero errors" 1 "$(grep -c '^  errors 0;' <<< "$out")"
finish
