#!/usr/bin/env bash
# redis_cluster_test — the stack on a Redis Cluster (SECKILL_REDIS_MODE=cluster:
# 3 masters, 3 replicas; docs/operations.md "Redis Cluster"):
#   - scripts/stack up builds it: 3 masters each with one replica in sync,
#     cluster_state:ok, status lists the 6 nodes
#   - 30 events: each event's keys on one master (one slot), and the events
#     on all 3 masters
#   - a 3-event sale, one event per master: every master runs EVALSHA and
#     WAIT (INFO commandstats); nothing oversold; MySQL = Redis (the audit)
#   - the whole cluster down: 503 everywhere; back (AOF, new run_ids): the
#     events are paused until the reconciler's check, then sell again
#   - scripts/stack up in the single mode on the same folder: the pools
#     restart for the single Redis
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_cluster_stack redis mysql pools nginx

masters() { local p; for p in $(cluster_ports); do [ "$(redis_cli_node "$p" role | head -1)" = master ] && echo "$p"; done; }
# master_of EVENT: the port of the master holding ev:{EVENT} (EXISTS on each, no redirects)
master_of() { local p; for p in $(masters); do [ "$(redis_cli_node "$p" exists "ev:{$1}")" = 1 ] && echo "$p"; done; }
evalsha_calls() { redis_cli_node "$1" info commandstats | tr -d '\r' | sed -n "s/^cmdstat_$2:calls=\([0-9]*\),.*/\1/p"; }

# --- the cluster ------------------------------------------------------------------
check_eq "3 masters" 3 "$(masters | wc -l)"
for p in $(cluster_ports); do
  if [ "$(redis_cli_node "$p" role | head -1)" = slave ]; then
    check "replica $p: link to its master up" eval "redis_cli_node $p info replication | tr -d '\r' | grep -qx master_link_status:up"
  fi
done
check "cluster_state:ok" eval "redis_cli cluster info | tr -d '\r' | grep -qx cluster_state:ok"
check_eq "scripts/stack status lists the 6 nodes running" 6 "$("$ROOT/scripts/stack" status | grep -c '^redis [0-9]* *running')"

# --- 30 events ----------------------------------------------------------------------
declare -A on
for i in $(seq 1 30); do create_event "c$i" 10; on[c$i]=$(master_of "c$i"); done
n_one=0
for i in $(seq 1 30); do [ "$(wc -w <<< "${on[c$i]}")" = 1 ] && n_one=$((n_one + 1)); done
check_eq "each of 30 events lives on exactly one master" 30 "$n_one"
check_eq "the 30 events are spread over all 3 masters" 3 "$(printf '%s\n' "${on[@]}" | sort -u | wc -l)"

# --- a 3-event sale, one event per master ----------------------------------------------
sale=()
for p in $(masters); do
  for i in $(seq 1 30); do [ "${on[c$i]}" = "$p" ] && { sale+=("c$i"); break; }; done
done
check_eq "one event per master for the sale" 3 "${#sale[@]}"
for p in $(masters); do redis_cli_node "$p" config resetstat > /dev/null; done
for ev in "${sale[@]}"; do buy "$ev" 1 30 30 > /dev/null; done
for ev in "${sale[@]}"; do
  check_eq "[$ev] 30 buyers, 10 tickets: 10 × 201" 10 "$(grep -c ' 201$' "$T/buy-$ev-1/results")"
  check_eq "[$ev] Redis sold 10" 10 "$(sold "$ev")"
  o=$(orders_of "$T/buy-$ev-1" | head -1 | cut -d' ' -f1)
  check_eq "[$ev] its orders, stream and expiry on its master" "1 1 1" \
    "$(redis_cli_node "${on[$ev]}" exists "ev:{$ev}:o:$o") $(redis_cli_node "${on[$ev]}" exists "ev:{$ev}:log") $(redis_cli_node "${on[$ev]}" exists "ev:{$ev}:exp")"
done
for p in $(masters); do
  check "master $p ran EVALSHA ($(evalsha_calls "$p" evalsha) calls)" test "$(evalsha_calls "$p" evalsha)" -gt 0
  check "master $p ran WAIT ($(evalsha_calls "$p" wait) calls)" test "$(evalsha_calls "$p" wait)" -gt 0
done
out=$(reconcile --once 2>&1)
check "the reconciler runs over the 3 shards ($out)" grep -q 'moved 30,' <<< "$out"
for ev in "${sale[@]}"; do
  check_eq "[$ev] MySQL holds the 10" 10 "$(sql "SELECT COUNT(*) FROM orders WHERE event_id='$ev' AND status IN ('reserved','paid')")"
  check "[$ev] the audit: MySQL = Redis" "$ROOT/scripts/report" --audit-only --event "$ev"
done

# --- the whole cluster down, and back ---------------------------------------------------
for i in 1 2 3; do create_event "back$i" 10; done
"$ROOT/scripts/stack" down redis > /dev/null
n503=0
for i in 1 2 3; do http POST "/api/events/back$i/reservations" "user_id=down-$i"; [ "$STATUS" = 503 ] && n503=$((n503 + 1)); done
check_eq "the cluster down: every reservation is 503" 3 "$n503"
"$ROOT/scripts/stack" up redis > /dev/null
n503=0
for i in 1 2 3; do
  http POST "/api/events/back$i/reservations" "user_id=back-$i"
  [ "$STATUS" = 503 ] && grep -q "sales are paused" <<< "$BODY" && n503=$((n503 + 1))
done
check_eq "the cluster back (new run_ids): every event paused until the reconciler's check (503)" 3 "$n503"
reconcile --once > "$T/back.out" 2>&1
check "the reconciler checks every shard's events ($(cat "$T/back.out"))" grep -q 'checked 33 events after a Redis restart' "$T/back.out"
n201=0
for i in 1 2 3; do http POST "/api/events/back$i/reservations" "user_id=back-$i"; [ "$STATUS" = 201 ] && n201=$((n201 + 1)); done
check_eq "after the check: the events sell again" 3 "$n201"

# --- the same stack brought up in the single mode: its pools follow ---------------------
# (a running pool used to be kept, serving from the cluster: make run after
# SECKILL_REDIS_MODE=cluster make run sold nothing)
SECKILL_REDIS_MODE=single "$ROOT/scripts/stack" up redis pools > "$T/single.out" 2>&1
check "stack up in the single mode restarts the cluster's pools" grep -q 'pool n1 runs with other settings' "$T/single.out"
check "their workers serve from the single Redis" eval "tail -n 1 '$VAR/log/worker-n1.log' | grep -q 'serving (redis unix:'"
SECKILL_REDIS_MODE=single "$ROOT/scripts/stack" down redis > /dev/null 2>&1
finish
