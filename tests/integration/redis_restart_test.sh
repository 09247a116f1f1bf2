#!/usr/bin/env bash
# redis_restart_test — Redis stopped and started again, and what the
# reconciler checks and repairs after a restart (docs/reliability.md, fault 4):
#   - Redis down: reservations and /healthz are 503 (JSON); no worker restarts
#   - a clean restart keeps every reservation: sold and every acknowledged
#     order, read before the stop, are there after it; MySQL (filled before
#     the stop) agrees; the reconciler finds nothing to put back
#   - a restarted Redis sells nothing until the reconciler has checked it
#     against MySQL; then it sells again
#   - an order MySQL holds but Redis lost (as in a crash) is put back by the
#     next run: held by its owner, with its deadline, not sold to anyone else
#   - a payment and a cancellation Redis lost: before the check, paying is
#     refused and expire.lua releases nothing; the check corrects both
#     statuses; MySQL ends with exactly the tickets sold
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
held() { sql "SELECT COUNT(*) FROM orders WHERE event_id='$1' AND status IN ('reserved','paid')"; }
all_workers() { pgrep -f "seckill-worker.*$VAR" | sort -n | tr '\n' ' '; }

# --- a clean restart ------------------------------------------------------------------
create_event keep 300
d=$(buy keep 1 400 50)
check_eq "400 users for 300 tickets: 300 reserved" 300 "$(grep -c ' 201$' "$d/results")"
orders_of "$d" | cut -d' ' -f1 > "$T/keep.acked"
reconcile --once > /dev/null 2>&1
sold_before=$(sold keep)
check_eq "before the stop: Redis sold 300" 300 "$sold_before"
check_eq "before the stop: MySQL holds the 300" 300 "$(held keep)"
create_event more 10
workers_before=$(all_workers)
"$ROOT/scripts/stack" down redis > /dev/null
http POST /api/events/more/reservations user_id=redisdown
check_eq "Redis down: a reservation is 503" 503 "$STATUS"
check "the 503 is JSON" jq -e '.error == "unavailable"' <<< "$BODY"
http GET /healthz
check_eq "Redis down: /healthz is 503" 503 "$STATUS"
"$ROOT/scripts/stack" up redis > /dev/null
http GET /healthz
check_eq "Redis back: /healthz is 200" 200 "$STATUS"
check_eq "Redis kept every reservation across the clean restart: sold as before the stop" "$sold_before" "$(sold keep)"
check_eq "every acknowledged order is in the restarted Redis" 0 "$(missing_in_redis keep "$T/keep.acked")"
# A restarted Redis may have lost its last writes: nothing sells, pays or
# cancels until the reconciler has checked it against MySQL.
http POST /api/events/more/reservations user_id=redisback
check_eq "Redis back but not yet checked: a reservation is 503" 503 "$STATUS"
check "the 503 says the reconciler has to check Redis first" jq -e '.message | test("reconciler")' <<< "$BODY"
out=$(reconcile --once 2>&1)
check "the reconciler says it checked every event" grep -q "checked $(redis_cli scard seckill:events) events after a Redis restart" <<< "$out"
check_eq "after a clean restart it puts nothing back" 0 "$(restored "$out")"
http POST /api/events/more/reservations user_id=redisback2
check_eq "once checked: reservations succeed again" 201 "$STATUS"
check_eq "no worker was restarted" "$workers_before" "$(all_workers)"

# --- the repair, deterministically: an order MySQL holds loses its Redis trace
# (as in a crash), and the next run puts it back -------------------------------------
read -r o u < <(sql "SELECT order_id, user_id FROM orders WHERE event_id='keep' AND status='reserved' LIMIT 1")
check "MySQL names a reserved order ($o)" test -n "$o"
{ echo "DEL ev:{keep}:o:$o"; echo "HDEL ev:{keep}:users $u"; echo "HINCRBY ev:{keep} sold -1"; echo "ZREM ev:{keep}:exp $o"; } | redis_cli > /dev/null
check_eq "an order lost by Redis: one ticket looks free" 299 "$(sold keep)"
out=$(reconcile --once 2>&1)
check_eq "the reconciler sees MySQL hold more and puts the order back" 1 "$(restored "$out")"
check_eq "the ticket is held again" 300 "$(sold keep)"
check_eq "by its owner" "$o" "$(redis_cli hget 'ev:{keep}:users' "$u")"
check_eq "with its payment deadline" 1 "$(redis_cli zscore 'ev:{keep}:exp' "$o" | grep -c .)"
http POST /api/events/keep/reservations user_id=after-repair
check_eq "so nobody else can buy it" 409 "$STATUS"

# --- statuses Redis lost, deterministically: a payment and a cancellation
# MySQL has are undone in Redis (as a crash would), and Redis restarts -------------------------
read -r po pu < <(sql "SELECT order_id, user_id FROM orders WHERE event_id='keep' AND status='reserved' ORDER BY order_id LIMIT 1")
read -r co cu cn < <(sql "SELECT order_id, user_id, node FROM orders WHERE event_id='keep' AND status='reserved' ORDER BY order_id LIMIT 1 OFFSET 1")
http POST "/api/orders/$po/payment" "user_id=$pu"
check_eq "an owner pays" 200 "$STATUS"
http POST "/api/orders/$co/cancellation" "user_id=$cu"
check_eq "another cancels" 200 "$STATUS"
reconcile --once > /dev/null
check_eq "MySQL has the payment and the cancellation" "paid cancelled" \
  "$(sql "SELECT status FROM orders WHERE order_id IN ('$po', '$co') ORDER BY order_id" | paste -sd' ')"
future=$(( $(date +%s%3N) + 600000 ))
{ echo "HSET ev:{keep}:o:$po status reserved"; echo "HDEL ev:{keep}:o:$po paid_at"
  echo "ZADD ev:{keep}:exp $future $po"; echo "HINCRBY ev:{keep} paid -1"
  echo "HSET ev:{keep}:o:$co status reserved"; echo "HDEL ev:{keep}:o:$co cancelled_at"
  echo "ZADD ev:{keep}:exp $future $co"; echo "HSET ev:{keep}:users $cu $co"
  echo "HINCRBY ev:{keep} sold 1"; echo "HINCRBY ev:{keep} cancelled -1"
  echo "HINCRBY ev:{keep} returned:$cn -1"; } | redis_cli > /dev/null
check_eq "Redis wrongly holds both as reserved" "reserved reserved 300" \
  "$(redis_cli hget "ev:{keep}:o:$po" status) $(redis_cli hget "ev:{keep}:o:$co" status) $(sold keep)"
"$ROOT/scripts/stack" down redis > /dev/null
"$ROOT/scripts/stack" up redis > /dev/null
http POST "/api/orders/$co/payment" "user_id=$cu"
check_eq "before the check, paying the order Redis wrongly holds as reserved is refused (503)" 503 "$STATUS"
# expire.lua as the reconciler sends it (the generated script, lua/protocol.json:
# KEYS meta users expiry log, the order; ARGV run_id, the order id; a reply {code, released}).
expire_sha=$(redis_cli script load "$(cat "$BUILD/gen/lua/expire.lua")")
run_id=$(redis_cli info server | tr -d '\r' | sed -n 's/^run_id://p')
expire_co() { redis_cli evalsha "$expire_sha" 5 'ev:{keep}' 'ev:{keep}:users' 'ev:{keep}:exp' \
  'ev:{keep}:log' "ev:{keep}:o:$co" "$run_id" "$co" | paste -sd' '; }
check_eq "and expire.lua releases nothing (not_verified: 503), even with the server's own run_id" 503 "$(expire_co)"
out=$(reconcile --once 2>&1)
check "the reconciler corrects both statuses" grep -q 'corrected 2 statuses Redis lost' <<< "$out"
check_eq "the payment is back in Redis, and off the expiry index" "paid 0" \
  "$(redis_cli hget "ev:{keep}:o:$po" status) $(redis_cli zscore 'ev:{keep}:exp' "$po" | grep -c .)"
check_eq "the cancellation is back: its ticket is free again" "cancelled 299" \
  "$(redis_cli hget "ev:{keep}:o:$co" status) $(sold keep)"
check_eq "once checked, expire.lua runs (done, 0 released: that order is no longer reserved)" "1 0" "$(expire_co)"
http POST /api/events/keep/reservations user_id=after-correct
check_eq "and sold once more" 201 "$STATUS"
reconcile --once > /dev/null
check_eq "MySQL holds exactly 300 at the end" 300 "$(held keep)"

finish
