#!/usr/bin/env bash
# memory_bounds_test — what keeps Redis memory bounded, through the real stack
# (docs/reliability.md, "Bounds"):
#   - Redis runs with a maxmemory, sized by scripts/stack, and noeviction; at
#     the bound a reservation answers 503 (not 500), reads go on, no key goes
#   - a reserve→cancel loop by one user stops at the cluster config's
#     cancel_limit: the next cancellation is 429 cancel_limit_reached (with
#     the cap), the order stays reserved and is the user's held order (429
#     limit_reached names it); it can still be paid; another user is not
#     affected
#   - the reconciler, once MySQL has an order's final state, gives a released
#     (cancelled, expired) order's hash a short TTL (--released-ttl, 60 s by
#     default) and a paid one a long one (--final-ttl, a day); once retired an
#     order answers 404 to its owner, as docs/api.md says; the per-user limit
#     still holds for a user whose paid order was retired
# timeout: 120
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx

# --- maxmemory ---------------------------------------------------------------------
mem=$(redis_cli config get maxmemory | sed -n 2p)
check "Redis has a maxmemory ($mem bytes)" test "${mem:-0}" -gt 0
check_eq "and the policy noeviction (a write past it fails; no key is dropped)" noeviction \
  "$(redis_cli config get maxmemory-policy | sed -n 2p)"

# At the bound Redis refuses writes: a reservation answers 503 (try again),
# reads go on, and no key is evicted.
create_event full 10
keys_before=$(redis_cli dbsize)
redis_cli config set maxmemory 1 > /dev/null
http POST /api/events/full/reservations user_id=u1
check_eq "at maxmemory a reservation answers 503 unavailable (Redis refuses the write)" "503 unavailable" \
  "$STATUS $(jq -r .error <<< "$BODY")"
http GET /api/events/full
check_eq "reads still answer" "200 0" "$STATUS $(jq -r .sold <<< "$BODY")"
redis_cli config set maxmemory "$mem" > /dev/null
check_eq "no key was evicted" "$keys_before" "$(redis_cli dbsize)"
http POST /api/events/full/reservations user_id=u1
check_eq "below it again, the reservation is served" 201 "$STATUS"

# --- the per-user cap of cancellations ------------------------------------------------
cap=$(admin sale-setting --cluster "$CLUSTER" --key cancel_limit)
check "the cluster config caps cancellations per user and event ($cap)" test "${cap:-0}" -gt 0
create_event loop 100 1 600
ok_loops=0
for i in $(seq 1 "$cap"); do
  http POST /api/events/loop/reservations user_id=looper
  oid=$(jq -r .order_id <<< "$BODY")
  http POST "/api/orders/$oid/cancellation" user_id=looper
  [ "$STATUS" = 200 ] && ok_loops=$((ok_loops + 1))
done
check_eq "the first $cap reserve→cancel loops of one user are served" "$cap" "$ok_loops"
http POST /api/events/loop/reservations user_id=looper
check_eq "the user may reserve once more" 201 "$STATUS"
held=$(jq -r .order_id <<< "$BODY")
http POST "/api/orders/$held/cancellation" user_id=looper
check_eq "the next cancellation is 429 cancel_limit_reached, naming the cap" "429 cancel_limit_reached $cap" \
  "$STATUS $(jq -r '"\(.error) \(.limit)"' <<< "$BODY")"
http GET "/api/orders/$held?user_id=looper"
check_eq "the order stays reserved" reserved "$(jq -r .status <<< "$BODY")"
check_eq "and holds its ticket" 1 "$(sold loop)"
http POST /api/events/loop/reservations user_id=looper
check_eq "the loop is over: a new reservation is 429 limit_reached naming the held order" "429 $held" \
  "$STATUS $(jq -r .order_id <<< "$BODY")"
http POST "/api/orders/$held/payment" user_id=looper
check_eq "the held order can still be paid" 200 "$STATUS"
http POST /api/events/loop/reservations user_id=other
oid=$(jq -r .order_id <<< "$BODY")
http POST "/api/orders/$oid/cancellation" user_id=other
check_eq "another user cancels as usual" 200 "$STATUS"

# --- finished orders leave Redis once MySQL has them -----------------------------------
create_event retire 10 1 600
http POST /api/events/retire/reservations user_id=payer
paid=$(jq -r .order_id <<< "$BODY")
http POST "/api/orders/$paid/payment" user_id=payer
http POST /api/events/retire/reservations user_id=canceller
cancelled=$(jq -r .order_id <<< "$BODY")
http POST "/api/orders/$cancelled/cancellation" user_id=canceller
reconcile --once > "$T/reconcile1.out" 2>&1 || not_ok "the reconciler runs" "$(tail -1 "$T/reconcile1.out")"
ttl_c=$(redis_cli ttl "ev:{retire}:o:$cancelled"); ttl_p=$(redis_cli ttl "ev:{retire}:o:$paid")
check "with the defaults, the cancelled order's hash expires within 60 s (TTL $ttl_c)" test "$ttl_c" -gt 0 -a "$ttl_c" -le 60
check "and the paid one's within a day, not sooner than an hour (TTL $ttl_p)" test "$ttl_p" -gt 3600 -a "$ttl_p" -le 86400
check_eq "MySQL has both, in their final state" "cancelled paid" \
  "$(sql "SELECT status FROM orders WHERE order_id IN ('$paid','$cancelled') ORDER BY CAST(status AS CHAR)" | tr '\n' ' ' | sed 's/ $//')"
# Short TTLs: the next pass's retirement is seen within seconds.
http POST /api/events/retire/reservations user_id=canceller
again=$(jq -r .order_id <<< "$BODY")
http POST "/api/orders/$again/cancellation" user_id=canceller
redis_cli expire "ev:{retire}:o:$paid" 1 > /dev/null  # a day, shortened: the paid order retired
reconcile --once --released-ttl 1 > "$T/reconcile2.out" 2>&1 || not_ok "the reconciler runs" "$(tail -1 "$T/reconcile2.out")"
gone() { [ "$(redis_cli exists "ev:{retire}:o:$1")" = 0 ]; }
check_within 5 "a retired cancelled order's hash is gone from Redis" gone "$again"
check_within 5 "so is the retired paid order's" gone "$paid"
http GET "/api/orders/$again?user_id=canceller"
check_eq "a retired order answers 404 to its owner (docs/api.md)" "404 no_such_order" "$STATUS $(jq -r .error <<< "$BODY")"
http POST /api/events/retire/reservations user_id=payer
check_eq "the per-user limit holds after the paid order retired: 429 naming it" "429 $paid" "$STATUS $(jq -r .order_id <<< "$BODY")"
check_eq "MySQL keeps every order" 3 "$(sql "SELECT COUNT(*) FROM orders WHERE event_id = 'retire'")"
finish
