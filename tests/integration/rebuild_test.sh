#!/usr/bin/env bash
# rebuild_test — seckill-reconciler --rebuild-redis after Redis lost its data:
#   - FLUSHALL: reservations answer 404 until the rebuild; then sold, holders,
#     pending expiries, the returned, paid, expired and cancelled counts and
#     the order statuses are what they were
#   - the owners still see, pay and cancel their orders through the API; a
#     per-user limit of 2 keeps both orders of a user; "Cc" and "cc" are
#     two users, as in Redis (MySQL's columns compare case-insensitively)
#   - a rebuilt event refuses a second rebuild; --force rebuilds it from
#     MySQL, dropping a reservation only Redis had
#   - the sale continues to sold out: exactly the remaining tickets, no
#     oversell (Redis, MySQL, the audit)
#   - restored pending expiries expire, and their tickets sell again
#   - a fresh Redis instance (no AOF): the same rebuild, still sold out
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
held() { sql "SELECT COUNT(*) FROM orders WHERE event_id='$1' AND status IN ('reserved','paid')"; }
returned() { redis_cli hgetall "ev:{$1}" | paste - - | grep '^returned:' | sort | tr '\t\n' '= '; }
counts() { redis_cli hmget "ev:{$1}" paid expired cancelled | paste -sd' '; }
# statuses FILE: "ORDER STATUS" for each "ORDER USER" line of FILE, through
# the API (20 requests at once)
statuses() {
  local dir n o
  dir=$(mktemp -d "$T/statuses.XXXXXX")
  while read -r o u; do echo "GET /api/orders/$o?user_id=$u"; done < "$1" | race 20 "$dir"
  n=0
  while read -r o _; do
    n=$((n + 1)); echo "$o $(jq -r .status "$dir/$n" 2>/dev/null)"
  done < "$1"
}
rebuild() { reconcile --rebuild-redis "$@"; }

# --- before the loss: a sale, payments, cancellations, one reconcile ---------------
create_event rb 300 1 600
d=$(buy rb 1 200 50)
check_eq "200 of 300 tickets reserved over HTTP" 200 "$(grep -c ' 201$' "$d/results")"
orders_of "$d" > "$T/rb.ids"
head -60 "$T/rb.ids" > "$T/paid.ids"
sed -n '61,80p' "$T/rb.ids" > "$T/cancelled.ids"
sed -n '81,200p' "$T/rb.ids" > "$T/reserved.ids"
while read -r o u; do echo "POST /api/orders/$o/payment user_id=$u"; done < "$T/paid.ids" | race 20 "$T/pay"
check_eq "60 orders paid" 60 "$(grep -c ' 200$' "$T/pay/results")"
while read -r o u; do echo "POST /api/orders/$o/cancellation user_id=$u"; done < "$T/cancelled.ids" | race 20 "$T/cancel"
check_eq "20 orders cancelled" 20 "$(grep -c ' 200$' "$T/cancel/results")"
create_event lim 10 2 600
for u in x1 x1 x2 Cc cc; do http POST /api/events/lim/reservations "user_id=$u"; done
check_eq "limit 2: x1 holds 2 tickets, x2, Cc and cc one each" "4 2" \
  "$(redis_cli hlen 'ev:{lim}:users') $(redis_cli hget 'ev:{lim}:users' x1 | wc -w)"
create_event short 5 1 2
d=$(buy short 1 5 5)
check_eq "5 tickets of a 2-second-window event reserved" 5 "$(grep -c ' 201$' "$d/results")"
out=$(reconcile --once 2>&1)
check "the reconciler moves it all to MySQL" grep -q '^reconciler: moved 290, released 0,' <<< "$out"

sold=$(redis_cli hget 'ev:{rb}' sold)
users=$(redis_cli hlen 'ev:{rb}:users')
pending=$(redis_cli zcard 'ev:{rb}:exp')
ret=$(returned rb)
cnt=$(counts rb)
x1=$(redis_cli hget 'ev:{lim}:users' x1)
cc="$(redis_cli hget 'ev:{lim}:users' Cc) $(redis_cli hget 'ev:{lim}:users' cc)"
statuses "$T/rb.ids" > "$T/before.status"
check_eq "through the API before the loss: 120 reserved, 60 paid, 20 cancelled" "cancelled=20 paid=60 reserved=120 " \
  "$(cut -d' ' -f2 "$T/before.status" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
check_eq "Redis before the loss: 180 sold, 180 holders, 120 pending, 60 paid, 20 cancelled" \
  "180 180 120 60  20" "$sold $users $pending $cnt"
check_eq "MySQL holds as many as Redis sold" "$sold" "$(held rb)"

# --- FLUSHALL -------------------------------------------------------------------------
redis_cli flushall > /dev/null
http POST /api/events/rb/reservations user_id=during
check_eq "after FLUSHALL a reservation is 404 no_such_event" '404 no_such_event' "$STATUS $(jq -r .error <<< "$BODY")"
read -r o u < "$T/paid.ids"
http GET "/api/orders/$o?user_id=$u"
check_eq "and a paid order is not found" 404 "$STATUS"

out=$(rebuild 2>&1); rc=$?
check_eq "--rebuild-redis exits 0" 0 "$rc"
check "it prints one line per event of MySQL" \
  test "$(grep -c '^rebuild ' <<< "$out")" = 3 -a "$(wc -l <<< "$out")" = 3
check "the line of rb: total, sold, orders, pending expiries" \
  grep -qx 'rebuild rb: total 300, sold 180, orders 200, pending expiries 120' <<< "$out"
check_eq "sold is restored" "$sold" "$(redis_cli hget 'ev:{rb}' sold)"
check_eq "holders are restored" "$users" "$(redis_cli hlen 'ev:{rb}:users')"
check_eq "pending expiries are restored" "$pending" "$(redis_cli zcard 'ev:{rb}:exp')"
check_eq "returned:<node> is restored" "$ret" "$(returned rb)"
check_eq "the paid, expired, cancelled counts are restored" "$cnt" "$(counts rb)"
check_eq "the settings are restored" "300 1 600" "$(redis_cli hmget 'ev:{rb}' total limit window | paste -sd' ')"
statuses "$T/rb.ids" > "$T/after.status"
check "every order's status, through the API, is what it was" cmp -s "$T/before.status" "$T/after.status"
check_eq "the 2-second reservations come back pending" 5 "$(redis_cli zcard 'ev:{short}:exp')"
check_eq "a limit-2 user holds both orders, in order" "$x1" "$(redis_cli hget 'ev:{lim}:users' x1)"
check_eq "users differing only in case stay apart" "4 $cc" \
  "$(redis_cli hlen 'ev:{lim}:users') $(redis_cli hget 'ev:{lim}:users' Cc) $(redis_cli hget 'ev:{lim}:users' cc)"
check_eq "the stream is empty, with the reconciler's group" "0 reconciler" \
  "$(redis_cli xlen 'ev:{rb}:log') $(redis_cli xinfo groups 'ev:{rb}:log' | sed -n 2p)"
check_eq "the events are listed for the reconciler" "lim rb short" "$(redis_cli smembers seckill:events | sort | paste -sd' ')"

# --- owners after the rebuild ---------------------------------------------------------
read -r o u < "$T/reserved.ids"
http POST "/api/orders/$o/payment" "user_id=$u"
check_eq "an owner pays a restored reservation" 200 "$STATUS"
read -r o2 u2 < <(sed -n 2p "$T/reserved.ids")
http POST "/api/orders/$o2/cancellation" "user_id=$u2"
check_eq "another cancels hers: the ticket is back" "200 179" "$STATUS $(redis_cli hget 'ev:{rb}' sold)"
read -r o3 u3 < "$T/cancelled.ids"
http POST "/api/orders/$o3/payment" "user_id=$u3"
check_eq "an order cancelled before the loss cannot be paid" 410 "$STATUS"
read -r o4 u4 < <(sed -n 3p "$T/reserved.ids")
http POST /api/events/rb/reservations "user_id=$u4"
check_eq "a holder cannot buy a second ticket (limit 1)" "429 $o4" "$STATUS $(jq -r .order_id <<< "$BODY")"
http GET "/api/orders/$o3?user_id=someone-else"
check_eq "orders are still their owners' only" 404 "$STATUS"

# --- a second rebuild -------------------------------------------------------------------
out=$(rebuild --event rb 2>&1); rc=$?
check_eq "a second rebuild of rb is refused (exit 1)" 1 "$rc"
check "with one line naming the key and --force" grep -qx 'seckill-reconciler: rebuild: ev:{rb} exists.*--force.*' <<< "$out"
check_eq "and nothing changed" "179 179" "$(redis_cli hget 'ev:{rb}' sold) $(redis_cli hlen 'ev:{rb}:users')"
out=$(rebuild --event nosuch 2>&1); rc=$?
check_eq "an event MySQL does not have: exit 1" "1 1" "$rc $(wc -l <<< "$out")"
before=$(redis_cli hgetall 'ev:{lim}' | paste - - | sort; redis_cli hgetall 'ev:{lim}:users' | paste - - | sort)
http POST /api/events/lim/reservations user_id=x3
orphan=$(jq -r .order_id <<< "$BODY")
out=$(rebuild --event lim --force 2>&1); rc=$?
check_eq "--force rebuilds an existing event" "0 rebuild lim: total 10, sold 5, orders 5, pending expiries 5" "$rc $out"
check_eq "to MySQL's state" "$before" "$(redis_cli hgetall 'ev:{lim}' | paste - - | sort; redis_cli hgetall 'ev:{lim}:users' | paste - - | sort)"
http POST "/api/orders/$orphan/payment" user_id=x3
check_eq "a reservation only Redis had is gone with --force: it cannot be paid" "404 0" \
  "$STATUS $(redis_cli exists "ev:{lim}:o:$orphan")"

# --- the sale goes on -------------------------------------------------------------------
left=$((300 - $(redis_cli hget 'ev:{rb}' sold)))
check_eq "121 tickets left" 121 "$left"
d=$(buy rb 1001 1400 50)
check_eq "exactly the 121 left are sold, no more" "$left" "$(grep -c ' 201$' "$d/results")"
check_eq "the others are sold out" $((400 - left)) "$(grep -c ' 409$' "$d/results")"
check_eq "Redis: sold 300 of 300" 300 "$(redis_cli hget 'ev:{rb}' sold)"
out=$(reconcile --once 2>&1)
check_eq "MySQL after a reconcile: 300 held" 300 "$(held rb)"
check "the audit finds Redis = MySQL, nothing oversold" "$ROOT/scripts/report" --audit-only > "$T/audit" 2>&1

# --- restored pending expiries expire ---------------------------------------------------
check "that run released the 5 restored 2-second reservations" grep -q '^reconciler: moved 128, released 5,' <<< "$out"
check_eq "MySQL: 5 expired" 5 "$(sql "SELECT COUNT(*) FROM orders WHERE event_id='short' AND status='expired'")"
check_within 5 "the fronts' watchers lower the sold-out flag" eval '! soldout_flag short'
d=$(buy short 11 20 10)
check_eq "and their 5 tickets sell again" 5 "$(grep -c ' 201$' "$d/results")"
reconcile --once > /dev/null 2>&1

# --- a fresh Redis instance ---------------------------------------------------------------
state() { redis_cli hmget 'ev:{rb}' total sold paid expired cancelled; redis_cli hlen 'ev:{rb}:users'; redis_cli zcard 'ev:{rb}:exp'; returned rb; }
before=$(state)
"$ROOT/scripts/stack" down redis > /dev/null
rm -rf "$VAR/redis/appendonlydir"
"$ROOT/scripts/stack" up redis > /dev/null
check_eq "a fresh instance has nothing" 0 "$(redis_cli dbsize)"
out=$(rebuild 2>&1); rc=$?
check_eq "the rebuild on a fresh instance exits 0" "0 3" "$rc $(grep -c '^rebuild ' <<< "$out")"
check "rb comes back sold out" grep -qx 'rebuild rb: total 300, sold 300, orders 321, pending expiries 239' <<< "$out"
check_eq "with the same state as before" "$before" "$(state)"
d=$(buy rb 2001 2050 25)
check_eq "still sold out: no ticket sold twice" "0 50" "$(grep -c ' 201$' "$d/results") $(grep -c ' 409$' "$d/results")"
check "the audit still agrees" "$ROOT/scripts/report" --audit-only > "$T/audit" 2>&1

finish
