#!/usr/bin/env bash
# soak_test — the soak (scripts/soak), short: SOAK_SECONDS (30) of
# reservations and cancellations at about 80 % of the measured maximum on a
# private stack. Beside the soak's own verdict, the test checks what the
# soak's report does not prove by itself:
#   - the rate reached: at least 3/4 of the soak's target (80 % of its max),
#     and no more than the max
#   - zero errors, wrk's socket errors included (connect, read, write,
#     timeout: wrk prints them apart from the status counts)
#   - the workers' open files flat under load: the test samples them every
#     second while the soak's wrk runs, and compares the first sample after
#     the warm-up third with the last (both loaded moments; a worker may hold
#     one FastCGI connection more or less)
# The reconciler keeps released orders' hashes 5 s (SOAK_RELEASED_TTL; its
# default of 60 s is longer than this soak's warm-up third). make soak runs
# the 10-minute one, with the defaults.
# timeout: 300
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
SECS=${SOAK_SECONDS:-30}
nodes=$(admin nodes --cluster "$CLUSTER" | awk '{print $1}')
workers() { local n; for n in $nodes; do pool_workers "$n"; done; }
fds() { local p n=0; for p in $(workers); do n=$(( n + $(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) )); done; echo "$n"; }
soak_load() { pgrep -f "wrk .*soak\.lua $BASE_URL" > /dev/null; }

SOAK_FRESH=0 SOAK_SECONDS=$SECS SOAK_RELEASED_TTL=${SOAK_RELEASED_TTL:-5} "$ROOT/scripts/soak" > "$T/soak.out" 2>&1 &
soak=$!
wait_until 30 "the soak's load starts" soak_load
t0=$(date +%s)
while proc_alive "$soak"; do
  soak_load && echo "$(( $(date +%s) - t0 )) $(fds)" >> "$T/fds"
  sleep 1
done
wait "$soak"; rc=$?
grep -E '^(soak|  |SOAK)' "$T/soak.out" | sed 's/^/# /'
check_eq "the soak passes its checks" 0 "$rc"

# "soak EVENT: …, RATE req/s (target T, max M, at the end M2), answers: …"
read -r rate target max < <(sed -n 's/^soak .* \([0-9][0-9]*\) req\/s (target \([0-9][0-9]*\), max \([0-9][0-9]*\)[,)].*/\1 \2 \3/p' "$T/soak.out")
check "it reports its rate, target and maximum (${rate:-?}, ${target:-?}, ${max:-?} req/s)" test -n "${max:-}"
check "it served at about its target: ${rate:-?} req/s, at least 3/4 of ${target:-?} and at most the max ${max:-?}" \
  test -n "${max:-}" -a "${rate:-0}" -ge $(( ${target:-4} * 3 / 4 )) -a "${rate:-0}" -le "${max:-0}"
check_eq "with zero errors" 1 "$(grep -c '^  errors 0;' "$T/soak.out")"
check "wrk's own output is there ($VAR/soak-wrk.txt)" grep -q '^requests [0-9]' "$VAR/soak-wrk.txt"
check_eq "and wrk saw no socket errors (connect, read, write, timeout)" "" "$(grep 'Socket errors' "$VAR/soak-wrk.txt")"

loaded=$(awk -v w=$(( SECS / 3 )) '$1 >= w' "$T/fds")
first=$(head -1 <<< "$loaded" | cut -d' ' -f2); last=$(tail -1 <<< "$loaded" | cut -d' ' -f2)
nworkers=$(workers | wc -w)
check "the workers' open files were sampled under load after the warm-up ($(wc -l <<< "$loaded") samples)" test "$(wc -l <<< "$loaded")" -ge 3
check "and stayed flat: $first, then $last at the end (within one per worker, $nworkers)" \
  test "${last:-999999}" -le $(( ${first:-0} + nworkers ))
finish
