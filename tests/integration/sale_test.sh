#!/usr/bin/env bash
# sale_test — the main job, small: make run's scripts/sale with 1,000 tickets
# and 50,000 requests on a private stack, its report checked against what the
# load client and the stores say independently:
#   - the audit it runs (scripts/report --audit-only) passes: nothing
#     oversold, nothing unsold while demand remained, MySQL = Redis
#   - every 201 wrk got is an order in MySQL, of that user, and MySQL has no
#     more orders than those plus the answers lost when wrk's threads stopped
#   - the report's paid count is the payments the API answered 200
#   - wave 1 is one wrk run: its phases' answers add up to the run's answers
#     (counted apart by users.lua) and their durations to its duration; the
#     selling phase sold the stock once, the sold-out phase answered only 409
#   - the lapsed tickets are sold again (resale phase and wave 2)
#   - node shares near the weights
# plus the sold-out answer that nginx gives stops within a second of a release.
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
T=$(mktemp -d)

CONNS=50
out=$("$ROOT/scripts/sale" --tickets 1000 --requests 50000 --users 20000 --window 5 --concurrency $CONNS \
  --event small 2>&1); rc=$?
check_eq "scripts/sale exits 0" 0 "$rc"
[ "$rc" = 0 ] || printf '%s\n' "$out" | tail -30 | sed 's/^/# /'
R=$VAR/report/small
J=$R/report.json
check "it writes report.json" jq -e . "$J"
check "and report.txt, timeline.csv, acked.txt and plot.png" \
  test -s "$R/report.txt" -a -s "$R/timeline.csv" -a -s "$R/acked.txt" -a -s "$R/plot.png"
check "the report says ok" jq -e '.ok == true' "$J"
check "the audit it ran says ok for the event, sold out and settled" grep -qE \
  "^  audit small: total 1000, redis sold 1000, mysql held 1000, orders made ([0-9]+) \\(redis\\) / \\1 \\(mysql\\), ok$" "$R/report.txt"
check "it prints the whole sale's ratio to ceiling A" grep -qE "^  whole sale [0-9]+ req/s; ceiling A .*: [0-9.]+ x$" "$R/report.txt"

# --- the report against the load client and the stores ------------------------------
sql "SELECT order_id, user_id FROM orders WHERE event_id='small'" | tr '\t' ' ' | sort > "$T/mysql"
sort "$R/acked.txt" > "$T/acked"
check_eq "every 201 wrk got is an order of that user in MySQL" "" "$(comm -23 "$T/acked" "$T/mysql" | head -3)"
rows=$(wc -l < "$T/mysql") acked=$(wc -l < "$T/acked")
check "MySQL's other orders ($((rows - acked))) are at most the connections in flight when wrk stopped" \
  test $((rows - acked)) -ge 0 -a $((rows - acked)) -le $CONNS
check_eq "the report's orders are MySQL's rows" "$rows" "$(jq .orders.mysql "$J")"
check_eq "its 201 count is wrk's" "$acked" "$(jq .orders.acked_201 "$J")"
paid=$(jq .orders.paid "$J")
check_eq "its paid count is the payments the API answered 200" "$(cat "$R"/pay-*/results | grep -c ' 200$')" "$paid"
check "70 % of the winners paid in each wave ($paid of $rows orders)" test "$paid" -ge 700 -a "$paid" -le 1000
check_eq "Redis holds the whole stock" 1000 "$(redis_cli hget 'ev:{small}' sold)"

W=$R/wrk-wave1.txt
check_eq "wave 1 is one wrk run whose phases' answers add up to the run's, status by status" \
  "$(awk '$1 == "status" {print $2, $3}' "$W" | sort)" \
  "$(awk '$1 == "phase" && $3 == "status" {n[$4] += $5} END {for (s in n) print s, n[s]}' "$W" | sort)"
# shellcheck disable=SC2016 # an awk program
check "and whose phases' durations add up to its duration (within 1 %)" awk '$1 == "duration_us" {d = $2}
  $1 == "phase" && $3 == "duration_us" {s += $4} END {exit !(d > 0 && s >= 0.99 * d && s <= 1.01 * d)}' "$W"
check_eq "the selling phase sold the stock once" 1000 \
  "$(jq '[.phases[] | select(.name == "selling") | .statuses["201"] // 0] | add // 0' "$J")"
check_eq "the sold-out phase answered only 409" '["409"]' \
  "$(jq -c '[.phases[] | select(.name == "soldout") | .statuses | keys[]] | unique' "$J")"
check "expired tickets were sold again" test "$(jq .orders.expired "$J")" -gt 0 -a "$(jq .orders.resold "$J")" = "$(jq .orders.expired "$J")"
# (a reservation answered after its wrk thread stopped, at the end of wave 1,
# is one of the lapsed tickets sold again but not among wrk's 201s)
check_eq "the lapsed tickets are sold in the resale phase and wave 2 (201s, plus $((rows - acked)) after a stop)" \
  "$(jq .orders.expired "$J")" "$(( $(jq '[.phases[] | select(.name == "resale" or (.name | startswith("wave2")))
    | .statuses["201"] // 0] | add // 0' "$J") + rows - acked ))"
weights=$("$BUILD/seckill-admin" nodes --cluster "$CLUSTER")
total_w=$(awk '{s += $2} END {print s}' <<< "$weights")
while read -r node weight _; do
  got=$(jq --arg n "$node" '[.nodes[] | select(.node == $n) | .orders][0] // 0' "$J")
  share=$(awk -v g="$got" -v t="$rows" 'BEGIN {printf "%.1f", 100 * g / t}')
  want=$(awk -v w="$weight" -v t="$total_w" 'BEGIN {printf "%.1f", 100 * w / t}')
  # Tolerance: 6 points. Within a sale, a node whose queue is longer when the
  # stock runs out loses the requests still queued (docs/benchmarks.md).
  if awk -v s="$share" -v w="$want" 'BEGIN {exit !(s - w <= 6 && w - s <= 6)}'; then ok "node $node sold $share % for weight $want %"
  else not_ok "node $node share" "sold $share %, weight $want %"; fi
done <<< "$weights"

# --- released tickets are on sale again within a second -----------------------------
create_event relist 5 1 3
d=$(buy relist 1 5 5)
http POST /api/events/relist/reservations user_id=late1
check_eq "the first request after the last ticket is 409 from a worker" "409 1" "$STATUS $(grep -ci '^X-Node' <<< "$HEADERS")"
check "which raised the sold-out flag" test -f "$VAR/run/soldout/relist"
http POST /api/events/relist/reservations user_id=late1b
check_eq "from then on nginx answers 409 itself (no X-Node)" "409 0" "$STATUS $(grep -ci '^X-Node' <<< "$HEADERS")"
read -r oid uid < <(orders_of "$d" | head -1)
http POST "/api/orders/$oid/cancellation" "user_id=$uid"
check_eq "the cancellation is 200 (inside the 3-s window)" 200 "$STATUS"
check "this host's sold-out flag is lowered at once" test ! -e "$VAR/run/soldout/relist"
# The ticket is back in Redis's stock at once; a request may still land on a
# node whose own allotment is used up (409 from that worker, docs/api.md),
# so up to 10 buyers try: one of them gets it.
sold_after=""
for i in $(seq 1 10); do
  http POST /api/events/relist/reservations "user_id=late2-$i"
  [ "$STATUS" = 201 ] && { sold_after=$i; break; }
done
check "a cancelled ticket sells at once (buyer ${sold_after:-none} of 10 got it)" test -n "$sold_after"
sleep 3.2   # the other four first reservations and the resold one expire
reconcile --once > /dev/null
t0=$(date +%s%N); got=""
for i in $(seq 1 50); do
  http POST /api/events/relist/reservations "user_id=relist$i"
  [ "$STATUS" = 201 ] && { got=$(( ($(date +%s%N) - t0) / 1000000 )); break; }
  sleep 0.02
done
if [ -n "$got" ] && [ "$got" -lt 1000 ]; then ok "after the reconciler released expired tickets nginx stopped answering sold out within ${got} ms"
else not_ok "sold-out answer after a release" "no 201 within a second"; fi
rest=0; for i in $(seq 101 110); do http POST /api/events/relist/reservations "user_id=relist$i"; [ "$STATUS" = 201 ] && rest=$((rest + 1)); done
check_eq "the released tickets all sell (5 expired, 1 sold above)" 4 "$rest"
check_eq "and the event is sold out again" 5 "$(redis_cli hget 'ev:{relist}' sold)"

rm -rf "$T"
finish
