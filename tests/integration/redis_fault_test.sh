#!/usr/bin/env bash
# redis_fault_test — fault 4 of docs/reliability.md: Redis SIGKILLed and
# restarted mid-sale, from its AOF.
#   appendfsync always:   no acknowledged reservation lost.
#   appendfsync everysec: a killed process loses nothing (its writes are in
#     the page cache); what everysec risks is the host crashing, which loses
#     up to the last second not yet fsynced. The test plays that: the AOF is
#     cut back to its size of a second before the kill. The acknowledged
#     reservations lost are counted. The clients never stop: the restarted
#     Redis refuses every sale (503) until the reconciler has checked it
#     against MySQL and put back the orders MySQL had, so none of their
#     tickets is sold twice, and the sale ends with nothing oversold.
#     (Before that gate existed, 203 and 636 tickets were sold twice.)
. "$(dirname "$0")/../lib.sh"
export SECKILL_APPENDFSYNC=always
start_stack redis mysql pools nginx
T=$(mktemp -d)

# crash_sale EVENT [host-crash]: 3,000 users race for 2,000 tickets; Redis
# is SIGKILLed 1.2 s in and started again from its AOF 0.3 s later, while
# the users keep coming. Leaves the acknowledged order ids in $T/EVENT.acked.
crash_sale() {
  local ev=$1 host_crash=${2:-} aof sizes=$T/$1.sizes sampler
  create_event "$ev" 2000
  aof=$(ls -t "$VAR"/redis/appendonlydir/*.incr.aof | head -1)
  ( while :; do stat -c %s "$aof" >> "$sizes"; sleep 0.1; done ) &
  sampler=$!
  for i in $(seq 1 3000); do echo "POST /api/events/$ev/reservations user_id=$ev-$i"; done | race 8 "$T/$ev-1" &
  local load=$!
  sleep 1.2
  # The reconciler that ran during the sale stops first, so that what Redis
  # lost is counted before the next run puts MySQL's orders back.
  [ -n "${REC:-}" ] && { kill "$REC" 2>/dev/null; wait "$REC" 2>/dev/null; }
  kill -KILL "$(cat "$VAR/run/redis.pid")"
  kill "$sampler"; wait "$sampler" 2>/dev/null
  # A host crash loses what was written but not yet fsynced: up to a second.
  if [ -n "$host_crash" ]; then
    echo "# AOF $aof: $(stat -c %s "$aof") bytes at the kill, cut back to $(tail -10 "$sizes" | head -1)"
    truncate -s "$(tail -10 "$sizes" | head -1)" "$aof"
  fi
  sleep 0.3
  "$ROOT/scripts/stack" up redis > /dev/null
  local sold_then
  sold_then=$(redis_cli hget "ev:{$ev}" sold)
  http POST "/api/events/$ev/reservations" user_id="$ev-probe"
  check_eq "$ev: the restarted Redis refuses reservations (503) until the reconciler checked it" 503 "$STATUS"
  wait "$load"
  check_eq "$ev: the clients kept coming, and nothing was sold meanwhile" "$sold_then" "$(redis_cli hget "ev:{$ev}" sold)"
  # The 201 bodies (429s name an order too, but carry no expires_at): read
  # from the answers' files, which survive the clients being stopped.
  find "$T/$ev-1" -name '[0-9]*' -print0 | xargs -0 -r grep -h '"expires_at"' |
    grep -o '"order_id":"[^"]*"' | cut -d'"' -f4 | sort -u > "$T/$ev.acked"
}
# lost EVENT: acknowledged orders with no trace left in Redis.
lost() {
  sed "s/^/HEXISTS ev:{$1}:o:/; s/\$/ user/" "$T/$1.acked" | redis_cli | grep -c '^0$'
}
finish_sale() {  # finish_sale EVENT: new users until sold out
  local w
  for w in 2 3 4; do
    [ "$(redis_cli hget "ev:{$1}" sold)" -lt 2000 ] || break
    for i in $(seq 1 2500); do echo "POST /api/events/$1/reservations user_id=$1-w$w-$i"; done | race 50 "$T/$1-$w"
  done
}

# --- appendfsync always ---------------------------------------------------------------------
crash_sale always
n=$(wc -l < "$T/always.acked")
check "Redis was killed mid-sale ($n tickets acknowledged before and after)" test "$n" -gt 0
check_eq "appendfsync always: no acknowledged reservation lost" 0 "$(lost always)"
check_eq "the only answers are 201, 409, 429 and 503 (while Redis was down)" 0 "$(awk '$2 != 201 && $2 != 409 && $2 != 429 && $2 != 503' "$T/always-1/results" | wc -l)"
check_eq "every 201 is counted among the acknowledged" "$(grep -c ' 201$' "$T/always-1/results")" "$n"
reconcile --once > "$T/always.rec" 2>&1
check "the reconciler checks the restarted Redis and reopens the sale" grep -q 'checked 1 events after a Redis restart' "$T/always.rec"
finish_sale always
reconcile --once > /dev/null
check_eq "the sale ends sold out, Redis = 2000" 2000 "$(redis_cli hget 'ev:{always}' sold)"
check_eq "MySQL holds 2000, none twice" 2000 "$(sql "SELECT COUNT(*) FROM orders WHERE event_id='always' AND status IN ('reserved','paid')")"

# --- appendfsync everysec, with the reconciler running --------------------------------------------
"$ROOT/scripts/stack" down redis > /dev/null
SECKILL_APPENDFSYNC=everysec "$ROOT/scripts/stack" up redis > /dev/null
check_eq "Redis now runs with appendfsync everysec" everysec "$(redis_cli config get appendfsync | tail -1)"
reconcile_bg "$T/loop.out" --loop 0.1 --budget 8
REC=$RECONCILER_PID
crash_sale everysec host-crash
lost_n=$(lost everysec)
sed "s/^/'/; s/\$/'/" "$T/everysec.acked" | paste -sd, > "$T/ids.sql"
in_mysql=$(sed "s/^/HEXISTS ev:{everysec}:o:/; s/\$/ user/" "$T/everysec.acked" | redis_cli | paste - "$T/everysec.acked" |
  awk '$1 == 0 {print "\x27" $2 "\x27"}' | paste -sd, | { read -r ids; [ -n "$ids" ] && sql "SELECT COUNT(*) FROM orders WHERE order_id IN ($ids)" || echo 0; })
ok "appendfsync everysec, host crash: measured $lost_n of $(wc -l < "$T/everysec.acked") acknowledged reservations lost by Redis, $in_mysql of them already in MySQL"
out=$(reconcile --once 2>&1)
check "the reconciler checks the restarted Redis" grep -Eq "checked [0-9]+ events after a Redis restart" <<< "$out"
if [ "$in_mysql" -gt 0 ]; then
  check "the reconciler puts back the $in_mysql MySQL had" grep -q "restored $in_mysql orders lost by Redis" <<< "$out"
else
  ok "no lost order was in MySQL this time: nothing to put back"
fi
finish_sale everysec
reconcile --once > /dev/null
sold=$(redis_cli hget 'ev:{everysec}' sold)
held=$(sql "SELECT COUNT(*) FROM orders WHERE event_id='everysec' AND status IN ('reserved','paid')")
check_eq "the sale ends sold out in Redis" 2000 "$sold"
check_eq "MySQL holds exactly 2000: no ticket of MySQL sold twice" 2000 "$held"
check_eq "every order MySQL holds is in Redis" 0 "$(sql "SELECT order_id FROM orders WHERE event_id='everysec' AND status IN ('reserved','paid')" |
  sed "s/^/HEXISTS ev:{everysec}:o:/; s/\$/ user/" | redis_cli | grep -c '^0$')"

# --- the repair itself, deterministically: an order MySQL holds loses its
# Redis trace (as in a crash), and the next run puts it back -------------------------------------
read -r o u < <(sql "SELECT order_id, user_id FROM orders WHERE event_id='everysec' AND status='reserved' LIMIT 1")
redis_cli del "ev:{everysec}:o:$o" > /dev/null
redis_cli hdel 'ev:{everysec}:users' "$u" > /dev/null
redis_cli hincrby 'ev:{everysec}' sold -1 > /dev/null
redis_cli zrem 'ev:{everysec}:exp' "$o" > /dev/null
check_eq "an order lost by Redis: one ticket looks free" 1999 "$(redis_cli hget 'ev:{everysec}' sold)"
out=$(reconcile --once 2>&1)
check "the reconciler sees MySQL hold more and puts the order back" grep -q 'restored 1 orders lost by Redis' <<< "$out"
check_eq "the ticket is held again" 2000 "$(redis_cli hget 'ev:{everysec}' sold)"
check_eq "by its owner" "$o" "$(redis_cli hget 'ev:{everysec}:users' "$u")"
check_eq "with its payment deadline" 1 "$(redis_cli zscore 'ev:{everysec}:exp' "$o" | grep -c .)"
http POST /api/events/everysec/reservations user_id=after-repair
check_eq "so nobody else can buy it" 409 "$STATUS"

# --- statuses Redis lost, deterministically: a payment and a cancellation
# MySQL has are undone in Redis (as a crash would), and Redis restarts -------------------------
read -r po pu < <(sql "SELECT order_id, user_id FROM orders WHERE event_id='everysec' AND status='reserved' ORDER BY order_id LIMIT 1")
read -r co cu cn < <(sql "SELECT order_id, user_id, node FROM orders WHERE event_id='everysec' AND status='reserved' ORDER BY order_id LIMIT 1 OFFSET 1")
http POST "/api/orders/$po/payment" "user_id=$pu"
check_eq "an owner pays" 200 "$STATUS"
http POST "/api/orders/$co/cancellation" "user_id=$cu"
check_eq "another cancels" 200 "$STATUS"
reconcile --once > /dev/null
check_eq "MySQL has the payment and the cancellation" "paid cancelled" \
  "$(sql "SELECT status FROM orders WHERE order_id IN ('$po', '$co') ORDER BY order_id" | paste -sd' ')"
future=$(( $(date +%s%3N) + 600000 ))
{ echo "HSET ev:{everysec}:o:$po status reserved"; echo "HDEL ev:{everysec}:o:$po paid_at"
  echo "ZADD ev:{everysec}:exp $future $po"; echo "HINCRBY ev:{everysec} paid -1"
  echo "HSET ev:{everysec}:o:$co status reserved"; echo "HDEL ev:{everysec}:o:$co cancelled_at"
  echo "ZADD ev:{everysec}:exp $future $co"; echo "HSET ev:{everysec}:users $cu $co"
  echo "HINCRBY ev:{everysec} sold 1"; echo "HINCRBY ev:{everysec} cancelled -1"
  echo "HINCRBY ev:{everysec} returned:$cn -1"; } | redis_cli > /dev/null
"$ROOT/scripts/stack" down redis > /dev/null
"$ROOT/scripts/stack" up redis > /dev/null
http POST "/api/orders/$co/payment" "user_id=$cu"
check_eq "before the check, paying the order Redis wrongly holds as reserved is refused (503)" 503 "$STATUS"
# expire.lua as the reconciler sends it (the generated script, lua/protocol.json:
# KEYS meta users expiry log, the order; ARGV run_id, the order id; a reply {code, released}).
expire_sha=$(redis_cli script load "$(cat "$BUILD/gen/lua/expire.lua")")
run_id=$(redis_cli info server | tr -d '\r' | sed -n 's/^run_id://p')
expire_co() { redis_cli evalsha "$expire_sha" 5 'ev:{everysec}' 'ev:{everysec}:users' 'ev:{everysec}:exp' \
  'ev:{everysec}:log' "ev:{everysec}:o:$co" "$run_id" "$co" | paste -sd' '; }
check_eq "and expire.lua releases nothing (not_verified: 503), even with the server's own run_id" 503 "$(expire_co)"
out=$(reconcile --once 2>&1)
check "the reconciler corrects both statuses" grep -q 'corrected 2 statuses Redis lost' <<< "$out"
check_eq "the payment is back in Redis, and off the expiry index" "paid 0" \
  "$(redis_cli hget "ev:{everysec}:o:$po" status) $(redis_cli zscore 'ev:{everysec}:exp' "$po" | grep -c .)"
check_eq "the cancellation is back: its ticket is free again" "cancelled 1999" \
  "$(redis_cli hget "ev:{everysec}:o:$co" status) $(redis_cli hget 'ev:{everysec}' sold)"
check_eq "once checked, expire.lua runs (done, 0 released: that order is no longer reserved)" "1 0" "$(expire_co)"
http POST /api/events/everysec/reservations user_id=after-correct
check_eq "and sold once more" 201 "$STATUS"
reconcile --once > /dev/null
check_eq "MySQL holds exactly 2000 at the end" 2000 \
  "$(sql "SELECT COUNT(*) FROM orders WHERE event_id='everysec' AND status IN ('reserved','paid')")"

rm -rf "$T"
finish
