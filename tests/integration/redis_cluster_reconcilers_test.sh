#!/usr/bin/env bash
# redis_cluster_reconcilers_test — the reconciler on a Redis Cluster stays
# exact across shards (issue 13 item 5; docs/reliability.md "Redis Cluster"):
# 6 events, two on each of the 3 masters, each given a history of 1,500
# reservations (seckill-admin fill, on its own master), and
#   - a run SIGKILLed in the middle of a batch (held there by a lock the
#     test holds on some rows of one event; proven: some rows written, not
#     all, the run waiting), then a new run: every event's rows exactly
#     the orders Redis holds, none twice, nothing pending on any shard;
#   - two runs at once over 6 new events (proven to overlap: both waiting in
#     the middle of a batch at the same instant, both moved entries): the
#     same rows as one run, on every shard; the audit: MySQL = Redis.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_cluster_stack redis mysql
T=$(mktemp -d); at_exit "rm -rf '$T'"
N=1500

masters() { local p; for p in $(cluster_ports); do [ "$(redis_cli_node "$p" role | head -1)" = master ] && echo "$p"; done; }
# master_of EVENT: the port of the master holding ev:{EVENT} (EXISTS on each, no redirects)
master_of() { local p; for p in $(masters); do [ "$(redis_cli_node "$p" exists "ev:{$1}")" = 1 ] && echo "$p"; done; }
pending() { redis_cli xpending "ev:{$1}:log" reconciler | head -1; }
# six_events PREFIX: creates events PREFIX1.. until two live on each master;
# prints the six kept (the others are left empty).
six_events() {
  local i=0 p ev n kept=()
  declare -A per
  while [ "${#kept[@]}" -lt 6 ] && [ "$i" -lt 60 ]; do
    i=$((i + 1)); ev=$1$i
    create_event "$ev" "$N" 1 600 || return 1
    p=$(master_of "$ev"); n=${per[$p]:-0}
    [ "$n" -lt 2 ] && { per[$p]=$((n + 1)); kept+=("$ev"); }
  done
  printf '%s\n' "${kept[@]}"
}
# fill EVENT: N reservations, made on the event's own master
fill() {
  admin fill --event "$1" --count "$N" --redis "127.0.0.1:$(master_of "$1")" \
    --redis-password-file "$VAR/secrets/redis.pass" > /dev/null
}
# exact EVENTS...: for each event, MySQL's order ids are exactly Redis's
# (ev:{E}:users), each once, and nothing is pending on its stream.
exact() {
  local ev
  for ev in "$@"; do
    sql "SELECT order_id FROM orders WHERE event_id='$ev'" | sort > "$T/$ev.mysql"
    redis_cli hvals "ev:{$ev}:users" | sort > "$T/$ev.redis"
    check_eq "[$ev on $(master_of "$ev")] MySQL holds Redis's $N orders, each once" \
      "$N $N 0 0" "$(wc -l < "$T/$ev.mysql") $(sort -u "$T/$ev.mysql" | wc -l) $(comm -3 "$T/$ev.mysql" "$T/$ev.redis" | wc -l) $(pending "$ev")"
  done
}

mapfile -t A < <(six_events k)
check_eq "six events, two on each of the 3 masters" "6 3" "${#A[@]} $(for ev in "${A[@]}"; do master_of "$ev"; done | sort -u | wc -l)"
for ev in "${A[@]}"; do fill "$ev"; done
check "each event made its $N reservations" eval "for ev in ${A[*]}; do [ \"\$(redis_cli hget \"ev:{\$ev}\" sold)\" = $N ] || exit 1; done"

# --- a run killed in the middle of a batch ----------------------------------------------
# The lock on the last event the test made (the run's order over the shards is
# its own; whatever it did before it reaches the lock is part of what it
# leaves behind).
held=${A[5]}
hold_lock "$held" 501
reconcile_bg "$T/killed.out" --once --batch 100
pid=$RECONCILER_PID
wait_until 20 "[$held] the run wrote rows and waits in the middle of a batch" waiting_runs 1 "$held"
kill -KILL "$pid"; rc=$?; wait "$pid" 2>/dev/null
partial=$(rows "$held")
landed=$(for ev in "${A[@]}"; do echo -n "$ev=$(rows "$ev") "; done)
pend=$(for ev in "${A[@]}"; do pending "$ev"; done | awk '{s += $1} END {print s + 0}')
release_lock
if [ "$rc" -eq 0 ] && [ "$partial" -gt 0 ] && [ "$partial" -lt "$N" ] && [ "$pend" -gt 0 ]; then
  ok "killed mid-batch: $partial of $N rows of $held written ($landed), $pend entries pending"
else not_ok "killed mid-batch" "kill exit $rc, $partial of $N rows of $held, $pend pending"; fi
out=$(reconcile --once 2>&1); rc=$?
check_eq "the next run succeeds ($out)" 0 "$rc"
exact "${A[@]}"
check_eq "nothing else written" "$((6 * N))" "$(sql "SELECT COUNT(*) FROM orders WHERE event_id LIKE 'k%'")"
for ev in "${A[@]}"; do
  check "[$ev] the audit: MySQL = Redis" "$ROOT/scripts/report" --audit-only --event "$ev"
done

# --- two runs at once -------------------------------------------------------------------
mapfile -t B < <(six_events w)
check_eq "six new events, two on each master" "6 3" "${#B[@]} $(for ev in "${B[@]}"; do master_of "$ev"; done | sort -u | wc -l)"
for ev in "${B[@]}"; do fill "$ev"; done
held=${B[0]}
hold_lock "$held" 501
reconcile_bg "$T/a.out" --once --batch 100; a=$RECONCILER_PID
reconcile_bg "$T/b.out" --once --batch 100; b=$RECONCILER_PID
wait_until 20 "[$held] both runs wrote rows and wait in the middle of a batch at once" waiting_runs 2 "$held"
at=$(rows "$held"); both=no; proc_alive "$a" && proc_alive "$b" && both=yes
release_lock
wait "$a"; ra=$?; wait "$b"; rb=$?
moved_a=$(sed -n 's/^reconciler: moved \([0-9]*\),.*/\1/p' "$T/a.out"); moved_b=$(sed -n 's/^reconciler: moved \([0-9]*\),.*/\1/p' "$T/b.out")
if [ "$both" = yes ] && [ "$at" -lt "$N" ] && [ "${moved_a:-0}" -gt 0 ] && [ "${moved_b:-0}" -gt 0 ]; then
  ok "two runs overlapped: both alive with $at of $N rows of $held landed; they moved $moved_a and $moved_b entries"
else not_ok "two runs overlapped" "both alive: $both at $at of $N rows; moved ${moved_a:-?} and ${moved_b:-?}"; fi
check_eq "both succeed" "0 0" "$ra $rb"
check "between them they moved every entry of the 6 events (some perhaps twice)" test $(( ${moved_a:-0} + ${moved_b:-0} )) -ge $((6 * N))
exact "${B[@]}"
for ev in "${B[@]}"; do
  check "[$ev] the audit: MySQL = Redis" "$ROOT/scripts/report" --audit-only --event "$ev"
done
finish
