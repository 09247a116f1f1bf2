#!/usr/bin/env bash
# topology_spread_test — the sale's tiers as namespaces (scripts/topology,
# docs/deploy.md), load from the client host through the balancers' VIP:
#   - the topology comes up with one command and says so in its status
#   - connections spread over the front hosts by the cluster config's host
#     weights (3:3:4, within 4 points), nodes on the front they are assigned
#   - sold out: every front raises its flag and nginx answers 409 itself
#   - a cancellation reopens every front within a second (each front's
#     sold-out watcher), and the ticket sells again through the VIP
# [topology] needs root.
# timeout: 300
# expect-skip: needs root
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_topology
reconcile() { topology_reconcile "$@"; }

check "scripts/topology status: every host, the VIP, the fronts UP on both balancers" "$ROOT/scripts/topology" status
# shellcheck disable=SC2153 # FRONTS: from scripts/topology env (topology_env)
read -ra fronts <<< "$FRONTS"
check_eq "three front hosts from the cluster config" 3 "${#fronts[@]}"
declare -A addr weight
total_weight=0
while read -r h a w nodes; do
  addr[$h]=$a weight[$h]=$w total_weight=$((total_weight + w))
  for n in ${nodes//,/ }; do
    check "node $n's pool runs on its front $h" pid_alive "$TOPOLOGY_VAR/$h/run/pool-$n.pid"
  done
done < <("$BUILD/seckill-admin" hosts --cluster "$CLUSTER")
check "front f1's nginx sends to its own nodes only (n1, n2)" \
  bash -c "grep -q pool-n1.sock '$TOPOLOGY_VAR/f1/nginx/site.conf' && ! grep -q pool-n4.sock '$TOPOLOGY_VAR/f1/nginx/site.conf'"

# --- spread: a new connection a request (ab without keep-alive) -------------------------
declare -A before
for h in "${fronts[@]}"; do before[$h]=$(front_requests "$h"); done
N=3000
ip netns exec "$TOPOLOGY-client" ab -q -n $N -c 30 "$VIP_URL/shop/" > "$T/ab.txt" 2>&1
check_eq "ab: $N requests through the VIP, none failed" 0 "$(awk '/^Failed requests/ {print $3}' "$T/ab.txt")"
for h in "${fronts[@]}"; do
  got=$(( $(front_requests "$h") - before[$h] ))
  share=$(( got * 1000 / N )); want=$(( weight[$h] * 1000 / total_weight ))
  if [ $(( share - want )) -le 40 ] && [ $(( want - share )) -le 40 ]; then
    ok "front $h took $got of $N requests: $((share / 10)).$((share % 10)) %, weight ${weight[$h]}/$total_weight"
  else not_ok "front $h's share of the requests" "$got of $N: $((share / 10)).$((share % 10)) %, want $((want / 10)).$((want % 10)) % ± 4"; fi
done

# --- sold out on every front -------------------------------------------------------------------
create_event so1 30
dir=$(buy so1 1 60 20)
check_eq "30 tickets sold through the VIP to 60 buyers" 30 "$(grep -c ' 201$' "$dir/results")"
check_eq "Redis: sold out" 30 "$(sold so1)"
flag() { [ -f "$TOPOLOGY_VAR/$1/run/soldout/so1" ]; }
all_flags() { local h; for h in "${fronts[@]}"; do flag "$h" || return 1; done; }
no_flags() { local h; for h in "${fronts[@]}"; do ! flag "$h" || return 1; done; }
# A front raises its flag when one of its workers hears "sold out" from
# Redis: a request to each front directly (the client reaches them on the bridge).
i=0
front_hit() {  # front_hit HOST: one reservation straight to HOST's nginx
  i=$((i + 1))
  ip netns exec "$TOPOLOGY-client" curl -s -o /dev/null --max-time 5 -X POST --data "user_id=late$i" \
    "http://${addr[$1]}:8080/api/events/so1/reservations"
}
for h in "${fronts[@]}"; do front_hit "$h"; done
check_within 5 "every front raised the sold-out flag" all_flags
for h in "${fronts[@]}"; do
  body=$(ip netns exec "$TOPOLOGY-client" curl -s --max-time 5 -w ' %{http_code}' -X POST --data "user_id=late-$h" \
    "http://${addr[$h]}:8080/api/events/so1/reservations")
  check_eq "front $h: nginx answers sold out itself (its flag is up)" '{"error":"sold_out"} 409' "$(tr -d '\n' <<< "$body")"
done

# --- a release reopens every front within a second -------------------------------------------------
n=$(awk '$2 == 201 {print $1; exit}' "$dir/results")
oid=$(grep -o '"order_id":"[^"]*"' "$dir/$n" | cut -d'"' -f4)
http POST "/api/orders/$oid/cancellation" "user_id=u$n"
check_eq "the cancellation of $oid (user u$n) through the VIP" 200 "$STATUS"
check_within 1 "every front lowered its flag within 1 s of the cancellation" no_flags
dir2=$(buy so1 100 109 10)
check_eq "the released ticket sells again through the VIP: one 201 of 10" 1 "$(grep -c ' 201$' "$dir2/results")"
check_eq "Redis: sold out again" 30 "$(sold so1)"
reconcile --once > "$T/reconcile.out" 2>&1
check "the reconciler on the primary moves the sale" grep -q . "$T/reconcile.out"
check "the audit on the caught-up replica: MySQL = Redis" \
  bash -c "'$ROOT/scripts/topology' caught-up && '$ROOT/scripts/topology' run replica '$ROOT/scripts/report' --audit-only --event so1 --settled"
finish
