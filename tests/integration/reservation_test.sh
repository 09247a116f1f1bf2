#!/usr/bin/env bash
# reservation_test — the reservation path through the real stack (nginx,
# spawn-fcgi pools, SQLite node counters, Redis):
#   - 2,000 concurrent users race for 100 tickets
#   - 16 concurrent double-clicks by one user
#   - pool shares over 5,000 reservations against weights 1:2:3:4
#   - a whole pool SIGKILLed mid-sale
#   - a restarted worker carries on from its node's count
#   - Redis stopped and started again: no sale until the reconciler checked it
#   - the order endpoints: payment, cancellation, owner checks
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
T=$(mktemp -d)

# --- 2,000 users, 100 tickets -------------------------------------------------
create_event race 100
for i in $(seq 1 2000); do echo "POST /api/events/race/reservations user_id=racer$i"; done | race 200 "$T/race"
check_eq "2000 users for 100 tickets: exactly 100 answered 201" 100 "$(grep -c ' 201$' "$T/race/results")"
check_eq "every other answer is 409" 1900 "$(grep -c ' 409$' "$T/race/results")"
ids=$(grep ' 201$' "$T/race/results" | while read -r n s; do jq -r .order_id "$T/race/$n"; done | sort -u | wc -l)
check_eq "the 100 order ids are distinct" 100 "$ids"
check_eq "Redis sold = 100" 100 "$(redis_cli hget 'ev:{race}' sold)"
check_eq "Redis holds 100 orders in the stream" 100 "$(redis_cli xlen 'ev:{race}:log')"
http GET /api/events/race
check_eq "GET event says sold out" '{"event":"race","remaining":0,"sold":100,"sold_out":true,"total":100}' "$BODY"
check "the sold-out flag is raised for nginx" test -f "$VAR/run/soldout/race"
http POST /api/events/race/reservations user_id=late
check_eq "after sold out nginx answers 409" "409 {\"error\":\"sold_out\"}" "$STATUS $BODY"

# --- one user, 16 double-clicks -------------------------------------------------
create_event clicks 50
for i in $(seq 1 16); do echo "POST /api/events/clicks/reservations user_id=clicker"; done | race 16 "$T/clicks"
check_eq "16 concurrent clicks by one user: one 201" 1 "$(grep -c ' 201$' "$T/clicks/results")"
check_eq "the other 15 are 429" 15 "$(grep -c ' 429$' "$T/clicks/results")"
held=$(grep ' 429$' "$T/clicks/results" | head -1 | { read -r n s; jq -r .order_id "$T/clicks/$n"; })
won=$(grep ' 201$' "$T/clicks/results" | { read -r n s; jq -r .order_id "$T/clicks/$n"; })
check_eq "a 429 names the order the user holds" "$won" "$held"

# --- shares against weights ------------------------------------------------------
create_event shares 100000
for i in $(seq 1 5000); do echo "POST /api/events/shares/reservations user_id=s$i"; done | race 100 "$T/shares"
check_eq "5000 reservations all succeed" 5000 "$(grep -c ' 201$' "$T/shares/results")"
for n in 1 2 3 4; do
  got=$(cat "$T"/shares/[0-9]* | grep -o "\"node\":\"n$n\"" | wc -l)
  want=$((5000 * n / 10))
  lo=$((want * 95 / 100)); hi=$((want * 105 / 100))
  if [ "$got" -ge "$lo" ] && [ "$got" -le "$hi" ]; then ok "node n$n sold $got, share $n/10 of 5000 within 5 %"
  else not_ok "node n$n share" "sold $got, want $lo..$hi"; fi
done

# --- a whole pool killed mid-sale ------------------------------------------------
create_event killpool 1000
pool_pid=$(cat "$VAR/run/pool-n4.pid")
old_workers=$(pgrep -P "$pool_pid" | sort | tr '\n' ' ')
for i in $(seq 1 1500); do echo "POST /api/events/killpool/reservations user_id=k$i"; done > "$T/kp.spec"
race 50 "$T/kp1" < "$T/kp.spec" &
sleep 0.3
pkill -KILL -P "$pool_pid"
wait
sleep 0.5
new_workers=$(pgrep -P "$pool_pid" | sort | tr '\n' ' ')
check "multiwatch respawned pool n4's workers" test -n "$new_workers" -a "$new_workers" != "$old_workers"
# Users who did not get a ticket try again, until the event is sold out.
for i in $(seq 1501 3000); do echo "POST /api/events/killpool/reservations user_id=k$i"; done | race 50 "$T/kp2"
all=$(cat "$T/kp1/results" "$T/kp2/results")
sold201=$(grep -c ' 201$' <<< "$all")
# Every user asks once, so a 429 is nginx's retry on the next pool of a request
# whose worker was killed after Redis had reserved: it answers with the order
# the user now holds. It counts with the errors.
failed=$(awk '$2 != 201 && $2 != 409' <<< "$all" | wc -l)
check_eq "after a pool was killed every ticket is still sold" 1000 "$(redis_cli hget 'ev:{killpool}' sold)"
# A worker killed after Redis reserved a ticket but before it answered leaves
# that user holding a ticket without a 201; that can happen only to a request
# that got an error or a 429.
if [ "$sold201" -le 1000 ] && [ $((1000 - sold201)) -le "$failed" ]; then
  ok "every 201 is a ticket; $((1000 - sold201)) tickets went to requests that got an error or a 429 ($failed of them)"
else not_ok "201s against tickets" "201s $sold201, errors $failed, tickets 1000"; fi
held429=0; n429=0
while read -r dir n; do
  n429=$((n429 + 1))
  o=$(jq -r .order_id "$T/$dir/$n")
  [ "$(redis_cli hget "ev:{killpool}:o:$o" status)" = reserved ] && held429=$((held429 + 1))
done < <(awk '$2 == 429 {print FILENAME, $1}' "$T/kp1/results" "$T/kp2/results" | sed "s|^$T/||; s|/results||")
check_eq "each 429 names an order the user holds in Redis ($n429 of them)" "$n429" "$held429"
dups=$(cat "$T"/kp1/[0-9]* "$T"/kp2/[0-9]* | grep -o '"order_id":"[^"]*"' | sort | uniq -d | wc -l)
check_eq "no order id twice" 0 "$dups"
bad=$(awk '$2 != 201 && $2 != 409 && $2 != 429 && $2 != 503' <<< "$all" | awk '{print $2}' | sort | uniq -c | tr '\n' ' ')
check_eq "every answer was 201, 409, 429 or 503 (the killed workers' requests)" "" "$bad"

# --- a restarted worker carries on ----------------------------------------------
taken() { sqlite3 "$VAR/nodes/$1.sqlite" "select taken from counter where event='$2'"; }
before=$(taken n2 killpool)
pkill -KILL -P "$(cat "$VAR/run/pool-n2.pid")"
sleep 0.5
create_event carry 100000
for i in $(seq 1 300); do echo "POST /api/events/carry/reservations user_id=c$i"; done | race 20 "$T/carry"
check_eq "the killpool count of node n2 survived its workers' restart" "$before" "$(taken n2 killpool)"
n2=$(cat "$T"/carry/[0-9]* | grep -c '"node":"n2"')
# A process takes its node's tickets in blocks and sells them from memory: the
# file counts what n2 sold plus what its two processes still hold leased.
leased=$(( $(taken n2 carry) - n2 ))
check "the restarted workers count on from the node's file: n2 sold $n2, $leased more leased (at most a block of 32 per process)" \
  test "$leased" -ge 0 -a "$leased" -le 64
"$ROOT/scripts/stack" down pools > /dev/null; "$ROOT/scripts/stack" up pools > /dev/null
check_eq "stopped cleanly, n2's processes gave their leases back to the file" "$n2" "$(taken n2 carry)"
sum=0; for n in n1 n2 n3 n4; do sum=$((sum + $(taken $n carry))); done
check_eq "the node counters add up to Redis's sold" "$(redis_cli hget 'ev:{carry}' sold)" "$sum"
# Killed, a process cannot give its lease back: the node's file keeps counting
# it (those tickets are lost to the node's allotment, never sold twice).
for i in $(seq 1 300); do echo "POST /api/events/carry/reservations user_id=c2-$i"; done | race 20 "$T/carry2"
n2=$((n2 + $(cat "$T"/carry2/[0-9]* | grep -c '"node":"n2"')))
pkill -KILL -P "$(cat "$VAR/run/pool-n2.pid")"
sleep 0.5
lost=$(( $(taken n2 carry) - n2 ))
check "n2's workers SIGKILLed: their leases stay counted, $lost tickets, at most a block of 32 per process" \
  test "$lost" -ge 0 -a "$lost" -le 64
http POST /api/events/carry/reservations user_id=c-after-kill
check_eq "and the sale goes on" 201 "$STATUS"

# --- Redis stopped and back ------------------------------------------------------
workers_before=$(pgrep -f "seckill-worker.*$VAR" | sort | tr '\n' ' ')
"$ROOT/scripts/stack" down redis > /dev/null
http POST /api/events/carry/reservations user_id=redisdown
check_eq "Redis down: a reservation is 503" 503 "$STATUS"
check "the 503 is JSON" jq -e '.error == "unavailable"' <<< "$BODY"
http GET /healthz
check_eq "Redis down: /healthz is 503" 503 "$STATUS"
"$ROOT/scripts/stack" up redis > /dev/null
http GET /healthz
check_eq "Redis back: /healthz is 200" 200 "$STATUS"
# A restarted Redis may have lost its last writes: nothing sells, pays or
# cancels until the reconciler has checked it against MySQL.
http POST /api/events/carry/reservations user_id=redisback
check_eq "Redis back but not yet checked: a reservation is 503" 503 "$STATUS"
check "the 503 says the reconciler has to check Redis first" jq -e '.message | test("reconciler")' <<< "$BODY"
sold_before=$(redis_cli hget 'ev:{carry}' sold)
reconcile --once > "$T/verify.out" 2>&1
check "the reconciler says it checked every event" grep -q "checked $(redis_cli scard seckill:events) events after a Redis restart" "$T/verify.out"
check_eq "Redis kept every reservation across the clean restart" "$sold_before" "$(sql "SELECT COUNT(*) FROM orders WHERE event_id = 'carry'")"
http POST /api/events/carry/reservations user_id=redisback
check_eq "once checked: reservations succeed again" 201 "$STATUS"
check_eq "no worker was restarted" "$workers_before" "$(pgrep -f "seckill-worker.*$VAR" | sort | tr '\n' ' ')"

# --- the order endpoints ----------------------------------------------------------
create_event orders 10 1 600
http POST /api/events/orders/reservations user_id=alice
check_eq "reservation is 201" 201 "$STATUS"
check "the 201 has order_id, event, user_id, node, expires_at" \
  jq -e '.order_id and .event == "orders" and .user_id == "alice" and .node and (.expires_at > 0)' <<< "$BODY"
check "the answer carries X-Node" grep -q '^X-Node: n[1-4]' <<< "$HEADERS"
oid=$(jq -r .order_id <<< "$BODY")
check "order ids carry 128 random bits" grep -Eq '^orders-[0-9a-f]{32}$' <<< "$oid"
http GET "/api/orders/$oid?user_id=mallory"
check_eq "another user cannot see the order" 404 "$STATUS"
http POST "/api/orders/$oid/payment" user_id=mallory
check_eq "another user cannot pay it" 404 "$STATUS"
http POST "/api/orders/$oid/cancellation" user_id=mallory
check_eq "another user cannot cancel it" 404 "$STATUS"
http GET "/api/orders/$oid?user_id=alice"
check_eq "the owner sees it reserved" reserved "$(jq -r .status <<< "$BODY")"
http POST "/api/orders/$oid/payment" user_id=alice
check_eq "payment is 200 paid" "200 paid" "$STATUS $(jq -r .status <<< "$BODY")"
http POST "/api/orders/$oid/payment" user_id=alice
check_eq "payment is idempotent" "200 paid" "$STATUS $(jq -r .status <<< "$BODY")"
http POST "/api/orders/$oid/cancellation" user_id=alice
check_eq "a paid order cannot be cancelled" 409 "$STATUS"
http POST /api/events/orders/reservations user_id=bob
oid2=$(jq -r .order_id <<< "$BODY")
http POST "/api/orders/$oid2/cancellation" user_id=bob
check_eq "cancellation is 200" "200 cancelled" "$STATUS $(jq -r .status <<< "$BODY")"
check_eq "the ticket is back in stock at once" 1 "$(redis_cli hget 'ev:{orders}' sold)"
http POST "/api/orders/$oid2/payment" user_id=bob
check_eq "paying a cancelled order is 410" 410 "$STATUS"
http GET "/api/orders/$oid2?user_id=bob"
check_eq "the order shows cancelled" cancelled "$(jq -r .status <<< "$BODY")"
http POST /api/events/orders/reservations user_id=bob
check_eq "bob may buy again after cancelling" 201 "$STATUS"
http GET "/api/orders/orders-00000000000000000000000000000000?user_id=alice"
check_eq "an unknown order is 404" 404 "$STATUS"
http POST /api/events/nosuch/reservations user_id=alice
check_eq "an unknown event is 404" 404 "$STATUS"
http GET /buy/ticket
check_eq "/buy/ticket without a default event answers code -1" "-1" "$(jq -r .code <<< "$BODY")"
create_event default 2
http GET /buy/ticket
check_eq "/buy/ticket sells to an anonymous user" "200 1" "$STATUS $(jq -r .code <<< "$BODY")"
http POST "/buy/ticket?user_id=seed1"
http POST "/buy/ticket?user_id=seed2"
check_eq "/buy/ticket says sold out like the seed" '200 {"code":-1,"msg":"sold out"}' "$STATUS $BODY"

rm -rf "$T"
finish
