#!/usr/bin/env bash
# expiry_test — unpaid reservations expire and their tickets sell again:
#   - a 2-second window: 8 of 20 pay in time; the event is sold out
#   - once the window has lapsed (waited for on the orders' own expires_at),
#     a late payment is 410 and the reconciler releases the 11 other unpaid
#   - MySQL: 8 paid, 12 expired; Redis: the 12 tickets back in stock, the
#     sold-out flag lowered
#   - exactly the 12 released tickets sell again through the API; paid
#     orders stay paid; MySQL ends with 8 paid, 12 expired, 12 reserved
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
by_status() { sql "SELECT status, COUNT(*) FROM orders WHERE event_id='$1' GROUP BY status ORDER BY status" | tr '\t\n' '= '; }
# lapsed SECONDS: true once the clock has passed SECONDS (fractional, epoch)
lapsed() { awk -v t="$1" -v now="$(date +%s.%N)" 'BEGIN {exit !(now > t)}'; }

# --- expiry and resale ----------------------------------------------------------------
create_event exp 20 1 2
d=$(buy exp 1 20 20)
check_eq "20 tickets reserved with a 2 s window" 20 "$(grep -c ' 201$' "$d/results")"
ids=$(orders_of "$d")
paid=0
while read -r o u; do
  http POST "/api/orders/$o/payment" "user_id=$u"; [ "$STATUS" = 200 ] && paid=$((paid + 1))
done < <(head -8 <<< "$ids")
check_eq "8 pay in time" 8 "$paid"
http POST /api/events/exp/reservations user_id=early
check_eq "sold out before the window ends" 409 "$STATUS"
last=$(cat "$d"/[0-9]* | jq -r .expires_at | sort -n | tail -1)
wait_until 5 "every order's window lapsed ($last)" lapsed "$last"
read -r late lu < <(sed -n 9p <<< "$ids")
http POST "/api/orders/$late/payment" "user_id=$lu"
check_eq "a payment after the window is 410" 410 "$STATUS"
out=$(reconcile --once 2>&1)
check "the run releases the other 11 unpaid orders" grep -q '^reconciler: moved [0-9]*, released 11,' <<< "$out"
check_eq "MySQL: 8 paid, 12 expired" "paid=8 expired=12 " "$(by_status exp)"
check_eq "Redis: the 12 tickets are back in stock" 8 "$(redis_cli hget 'ev:{exp}' sold)"
check_within 5 "the fronts' watchers lower the sold-out flag" eval '! soldout_flag exp'
d2=$(buy exp 101 160 20)
check_eq "exactly the 12 released tickets sell again through the API" 12 "$(grep -c ' 201$' "$d2/results")"
check_eq "the rest are sold out" 48 "$(grep -c ' 409$' "$d2/results")"
check_eq "Redis: sold out again" 20 "$(redis_cli hget 'ev:{exp}' sold)"
still=0
while read -r o u; do
  http GET "/api/orders/$o?user_id=$u"; [ "$(jq -r .status <<< "$BODY")" = paid ] && still=$((still + 1))
done < <(head -8 <<< "$ids")
check_eq "paid orders stay paid" 8 "$still"
reconcile --once > /dev/null 2>&1
check_eq "MySQL after the resale: 8 paid, 12 expired, 12 reserved" "reserved=12 paid=8 expired=12 " "$(by_status exp)"

finish
