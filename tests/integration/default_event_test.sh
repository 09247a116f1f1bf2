#!/usr/bin/env bash
# default_event_test — a fresh `scripts/stack up` sells on the seed's
# endpoint: the stack creates the cluster config's default_event with
# default_event_tickets tickets, so the article's
#     ab -n 10000 -c 100 http://127.0.0.1:8080/buy/ticket
# sells tickets instead of answering "sold out" to every request
# (docs/api.md). ab is in the "run" packages; without it, curl in a loop.
#   - the event exists after `stack up`, with the size of the cluster config
#   - the seed's ab command (on this stack's port) sells: Redis's sold rises,
#     never past the stock; a request after it is answered
#   - `stack up` again leaves the event as it is (not recreated)
# timeout: 180
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
export SECKILL_DEFAULT_TICKETS=""  # the cluster config's size (test stacks have none otherwise)
start_stack redis pools nginx

ev=$(admin sale-setting --cluster "$CLUSTER" --key default_event)
size=$(admin sale-setting --cluster "$CLUSTER" --key default_event_tickets)
check "the cluster config sizes the default event '$ev' ($size tickets)" test "${size:-0}" -gt 0
check_eq "stack up created it with that many tickets" "$size" "$(redis_cli hget "ev:{$ev}" total)"
check_eq "nothing sold yet" 0 "$(sold "$ev")"

if command -v ab > /dev/null; then
  ab -q -n 10000 -c 100 "$BASE_URL/buy/ticket" > "$T/ab.out" 2>&1
  check_eq "the seed's ab -n 10000 -c 100 completes every request" 10000 \
    "$(awk '/^Complete requests:/ {print $3}' "$T/ab.out")"
  check_eq "with no answer outside 2xx" "" "$(grep '^Non-2xx responses' "$T/ab.out")"
else
  for i in $(seq 1 500); do
    curl -s --max-time 10 -o /dev/null "$BASE_URL/buy/ticket"
  done
  skip "the seed's ab command" "no ab: 500 requests by curl instead"
fi
sold_now=$(sold "$ev")
want=$(( size < 10000 ? size : 10000 ))
check "it sold tickets: $sold_now of $size (at most one a request, never past the stock)" \
  test "$sold_now" -gt $(( want / 2 )) -a "$sold_now" -le "$size"
http GET /buy/ticket
check_eq "a request after it is answered (200)" 200 "$STATUS"
"$ROOT/scripts/stack" up > "$T/up-again.log" 2>&1
check "stack up again leaves the event as it was ($(sold "$ev") sold)" test "$(sold "$ev")" -ge "$sold_now"
finish
