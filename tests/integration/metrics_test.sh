#!/usr/bin/env bash
# metrics_test — the Prometheus metrics and the operator status, scraped
# before and after a known sale: every counter moves by what was played.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
create_event met 40
nodes=$(admin nodes --cluster "$CLUSTER" | awk '{print $1}')
scrape() {  # scrape FILE: every node's metrics, concatenated
  local n; for n in $nodes; do curl -s --max-time 10 "$ADMIN_URL/metrics/$n"; done > "$1"
}
# total FILE METRIC [LABEL-FILTER]: the sum of a metric's samples
total() { grep "^$2{" "$1" | grep -- "${3:-}" | awk '{s += $NF} END {printf "%d", s}'; }

scrape "$T/before"
ct=$(curl -s --max-time 10 -o /dev/null -w '%{content_type}' "$ADMIN_URL/metrics/n1")
check_eq "metrics are Prometheus text 0.0.4" "text/plain; version=0.0.4; charset=utf-8" "$ct"
check "every node answers with its own metrics" test "$(grep -c '^# TYPE seckill_redis_round_trips_total counter' "$T/before")" = "$(wc -w <<< "$nodes")"
check_eq "another node's name is 404" 404 "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$ADMIN_URL/metrics/nosuch")"
check_eq "metrics are not on the public port" 404 "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$BASE_URL/metrics/n1")"
check_eq "nor the operator status" 404 "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$BASE_URL/status/met")"
nginx_before=$(curl -s --max-time 10 "$ADMIN_URL/nginx_status" | awk 'NR == 3 {print $3}')

# The sale: one bad request (an invalid event id), one without a token, 60
# users for 40 tickets, 5 payments.
http POST "/api/events/bad%2Fid/reservations" "user_id=m0"
TOKEN=none http POST /api/events/met/reservations "user_id=m0"
d=$(buy met 1 60 10)
orders_of "$d" | head -5 | while read -r o u; do http POST "/api/orders/$o/payment" "user_id=$u"; done
scrape "$T/after"

delta() { echo $(( $(total "$T/after" "$@") - $(total "$T/before" "$@") )); }
check_eq "reserved: +40" 40 "$(delta seckill_requests_total 'outcome="reserved"')"
sold_out=$(delta seckill_requests_total 'outcome="sold_out"')
check "sold out answered by workers: at least one, at most 20 ($sold_out)" test "$sold_out" -ge 1 -a "$sold_out" -le 20
check_eq "bad_request: +1" 1 "$(delta seckill_requests_total 'endpoint="reserve",outcome="bad_request"')"
check_eq "unauthorized: +1" 1 "$(delta seckill_requests_total 'endpoint="reserve",outcome="unauthorized"')"
check_eq "payments: +5 ok" 5 "$(delta seckill_requests_total 'endpoint="pay",outcome="ok"')"
hist=$(delta seckill_request_duration_seconds_count 'endpoint="reserve"')
check "the latency histogram counted every reservation the workers answered ($hist)" test "$hist" -ge 41
check "its +Inf bucket equals its count" test "$(total "$T/after" seckill_request_duration_seconds_bucket 'endpoint="reserve",le="+Inf"')" = "$(total "$T/after" seckill_request_duration_seconds_count 'endpoint="reserve"')"
check "Redis round trips moved" test "$(delta seckill_redis_round_trips_total)" -ge 45
check_eq "no Redis errors" 0 "$(total "$T/after" seckill_redis_errors_total)"
taken=$(total "$T/after" seckill_node_taken_tickets 'event="met"')
check_eq "the nodes' taken tickets add up to the 40 sold" 40 "$taken"
check "each node reports its allotment" test "$(grep -c '^seckill_node_allotment_tickets{.*event="met"' "$T/after")" = "$(wc -w <<< "$nodes")"
check "worker starts are counted per node, with no pid label" grep -q '^seckill_worker_starts_total{node="n1"} [1-9]' "$T/after"
check_eq "the host's one scrape holds what the nodes' scrapes hold" "$(total "$T/after" seckill_requests_total 'outcome="reserved"')" \
  "$(curl -s --max-time 10 "$ADMIN_URL/metrics" | grep '^seckill_requests_total{' | grep 'outcome="reserved"' | awk '{s += $NF} END {printf "%d", s}')"
nginx_after=$(curl -s --max-time 10 "$ADMIN_URL/nginx_status" | awk 'NR == 3 {print $3}')
check "nginx stub_status counted the sale" test $(( nginx_after - nginx_before )) -ge 66

# The operator status.
s=$(curl -s --max-time 10 "$ADMIN_URL/status/met")
check_eq "status: stock" "40 40 0 true" "$(jq -r '"\(.total) \(.sold) \(.remaining) \(.sold_out)"' <<< "$s")"
check_eq "status: 5 paid" 5 "$(jq .paid <<< "$s")"
check_eq "status: every node with its weight share" "$(wc -w <<< "$nodes")" "$(jq '[.nodes[] | select(.weight_share > 0)] | length' <<< "$s")"
check_eq "status: nodes hold the 40" 40 "$(jq '[.nodes[].held] | add' <<< "$s")"
check "status: nginx's request count" jq -e '.nginx.requests > 0' <<< "$s"
check_eq "status of an unknown event is 404" 404 "$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$ADMIN_URL/status/nosuch")"

# The reconciler's metrics (textfile collector) and its pass on the status.
reconcile --once --metrics-file "$T/reconciler.prom" > /dev/null
check "the reconciler writes its metrics file" grep -q '^seckill_reconciler_last_run_moved [0-9]' "$T/reconciler.prom"
check "which counts the 45 entries of the sale" test "$(awk '$1 == "seckill_reconciler_last_run_moved" {print $2}' "$T/reconciler.prom")" -ge 45
check "and its success time" test "$(awk '$1 == "seckill_reconciler_last_success_timestamp_seconds" {printf "%d", $2}' "$T/reconciler.prom")" -gt 0
s=$(curl -s --max-time 10 "$ADMIN_URL/status/met")
check "the status shows the reconciler's pass" jq -e '.reconciler.reconciled_at > 0 and .reconciler.lag_ms == 0' <<< "$s"
paid_order=$(orders_of "$d" | head -1 | cut -d' ' -f1)
ttl=$(redis_cli ttl "ev:{met}:o:$paid_order")
check "a paid order's hash expires a day after it reached MySQL (ttl $ttl)" test "$ttl" -gt 86000 -a "$ttl" -le 86400
unpaid=$(orders_of "$d" | sed -n 10p | cut -d' ' -f1)
check_eq "a reserved order's hash does not expire" -1 "$(redis_cli ttl "ev:{met}:o:$unpaid")"

finish
