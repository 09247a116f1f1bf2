#!/usr/bin/env bash
# redis_failover_test — a Redis Cluster master lost, and what an answer
# promises (docs/reliability.md, faults c1 and c2; SECKILL_REDIS_MODE=cluster):
#   c1 a master SIGKILLed mid-sale (3 events, one per master): its replica is
#      promoted; only that shard's event answers 503, the others never stop;
#      the promoted master sells nothing until the reconciler has checked it
#      (a new run_id), and nothing it cannot confirm on a replica (503 not
#      confirmed) until the killed node, restarted, has rejoined as its
#      replica; then it sells again; at the end every order answered 201
#      is in MySQL, nothing oversold or unsold, MySQL = Redis
#   c2 the lost-write fence: the replica SIGSTOPped (and its link cut), a reservation answered
#      503 "not confirmed" (never 201), the master SIGKILLed, the replica
#      resumed and promoted: the write is gone, and no client holds a 201 for
#      it. The control (workers without WAIT, --redis-wait-ms 0): the same
#      fault loses reservations answered 201 (counted and printed)
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
export SECKILL_REDIS_NODE_TIMEOUT_MS=2000
start_cluster_stack redis mysql pools nginx

masters() { local p; for p in $(cluster_ports); do [ "$(redis_cli_node "$p" role 2>/dev/null | head -1)" = master ] && echo "$p"; done; }
master_of() { local p; for p in $(masters); do [ "$(redis_cli_node "$p" exists "ev:{$1}")" = 1 ] && echo "$p"; done; }
replica_of() { redis_cli_node "$1" info replication | tr -d '\r' | sed -n 's/^slave0:.*port=\([0-9]*\),.*/\1/p'; }
is_master() { [ "$(redis_cli_node "$1" role 2>/dev/null | head -1)" = master ]; }
redis_pid() { cat "$VAR/run/redis-$1.pid"; }
cluster_ok() { redis_cli cluster info | tr -d '\r' | grep -qx cluster_state:ok; }
in_sync() { redis_cli_node "$1" info replication | tr -d '\r' | grep -qx master_link_status:up; }
# probe EVENT LABEL: reserves on EVENT as new users LABEL-1, LABEL-2, … until
# an answer is other than the generic 503 "try again shortly" (at most 20):
# each worker process finds a failover on its own next request to that shard
# (its connection to the killed master fails; it re-reads the slots then), so
# a process that has not served that shard since answers so once. Leaves the
# last answer in STATUS and BODY, and every status seen in PROBES.
probe() {
  local i
  PROBES=()
  for i in $(seq 1 20); do
    http POST "/api/events/$1/reservations" "user_id=$2-$i"
    PROBES+=("$STATUS")
    if [ "$STATUS" != 503 ] || ! grep -q 'try again shortly' <<< "$BODY"; then return 0; fi
  done
}
# event_on PORT PREFIX: an event id whose slot PORT serves (tries PREFIX1, PREFIX2, ...)
event_on() {
  local p=$1 i s
  for i in $(seq 1 200); do
    s=$(redis_cli cluster keyslot "ev:{$2$i}")
    redis_cli_node "$p" cluster countkeysinslot "$s" > /dev/null 2>&1 || continue
    [ "$(redis_cli_node "$p" cluster nodes | awk '/myself/ {for (k = 9; k <= NF; k++) print $k}' |
         awk -F- -v s="$s" '{lo = $1; hi = ($2 == "" ? $1 : $2); if (s >= lo && s <= hi) {print "y"; exit}}')" = y ] && { echo "$2$i"; return; }
  done
  return 1
}
held() { sql "SELECT COUNT(*) FROM orders WHERE event_id='$1' AND status IN ('reserved','paid')"; }

# --- c1: a master SIGKILLed mid-sale --------------------------------------------------
mapfile -t M < <(masters)
A=$(event_on "${M[0]}" a); B=$(event_on "${M[1]}" b); C=$(event_on "${M[2]}" c)
TICKETS=1500
for ev in "$A" "$B" "$C"; do
  create_event "$ev" "$TICKETS"
  mkdir -p "$T/$ev"
  for i in $(seq 1 2500); do echo "POST /api/events/$ev/reservations user_id=$ev-u$i"; done > "$T/$ev/w1.spec"
done
victim=${M[0]}; heir=$(replica_of "$victim")
for ev in "$A" "$B" "$C"; do race 8 "$T/$ev/w1" < "$T/$ev/w1.spec" & eval "load_$ev=\$!"; done
wait_until 30 "[$A] the sale started" sold_at_least "$A" 100
kill -KILL "$(redis_pid "$victim")"
t_kill=$(date +%s%N)
killed_at=$(sold "$B")
poll 20 is_master "$heir"
check "the replica ($heir) of the killed master ($victim) is promoted ($(( ($(date +%s%N) - t_kill) / 1000000 )) ms after the kill)" is_master "$heir"
check_within 20 "cluster_state:ok again" cluster_ok
http POST "/api/events/$A/reservations" "user_id=$A-probe"
check_eq "[$A] after the promotion: 503 until the reconciler's check" 503 "$STATUS"
# The promoted replica's script cache is empty (the workers may not load
# scripts: the reconciler does at its pass, with its check), so the answer
# is the pause or the generic 503 of a script not loaded yet.
check "  … saying sales are paused, or to try again ($BODY)" grep -Eq 'sales are paused|try again shortly' <<< "$BODY"
reconcile --once > "$T/c1-reconcile.out" 2>&1
check "the reconciler checks the promoted master's event ($(cat "$T/c1-reconcile.out"))" grep -q 'checked 1 events after a Redis restart' "$T/c1-reconcile.out"
probe "$A" "$A-probe2"
check_eq "[$A] checked, but its new master has no replica yet: 503 not confirmed (answers: ${PROBES[*]})" 503 "$STATUS"
check "  … saying so ($BODY)" grep -q '"message":"not confirmed"' <<< "$BODY"
"$ROOT/scripts/redis-cluster" up > /dev/null  # the killed node, restarted, rejoins as the replica
check_within 20 "the killed node, restarted, rejoins as a replica in sync" in_sync "$victim"
probe "$A" "$A-probe3"
check_eq "[$A] with a replica again: it sells again (answers: ${PROBES[*]})" 201 "$STATUS"
for ev in "$A" "$B" "$C"; do eval "wait \$load_$ev"; done
check "[$B] the other shards kept selling after the kill ($killed_at sold then, $(sold "$B") at the end of the wave)" test "$(sold "$B")" -gt "$killed_at"
for ev in "$B" "$C"; do
  check_eq "[$ev] the other shards never answered 503" 0 "$(awk '$2 == 503' "$T/$ev/w1/results" | wc -l)"
done
check "[$A] its shard answered 503 while it failed over ($(awk '$2 == 503' "$T/$A/w1/results" | wc -l))" test "$(awk '$2 == 503' "$T/$A/w1/results" | wc -l)" -gt 0
for ev in "$A" "$B" "$C"; do
  wave=2
  while [ "$(sold "$ev")" -lt "$TICKETS" ] && [ $wave -le 5 ]; do
    for i in $(seq 1 "$TICKETS"); do echo "POST /api/events/$ev/reservations user_id=$ev-w$wave-$i"; done | race 8 "$T/$ev/w$wave"
    wave=$((wave + 1))
  done
  for w in "$T/$ev"/w*/; do
    awk -v d="$w" '$2 == 201 {print d $1}' "$w/results" | xargs -r cat | grep -o '"order_id":"[^"]*"' | cut -d'"' -f4
  done | sort -u > "$T/$ev/acked201"
done
reconcile --once > /dev/null 2>&1 || reconcile --once > /dev/null 2>&1
for ev in "$A" "$B" "$C"; do
  check_eq "[$ev] sold out, none twice: Redis sold = $TICKETS" "$TICKETS" "$(sold "$ev")"
  check_eq "[$ev] MySQL holds exactly the tickets sold" "$TICKETS" "$(held "$ev")"
  sql "SELECT order_id FROM orders WHERE event_id='$ev' AND status IN ('reserved','paid')" | sort > "$T/$ev/mysql"
  check_eq "[$ev] every order answered 201 ($(wc -l < "$T/$ev/acked201")) is in MySQL" 0 "$(comm -23 "$T/$ev/acked201" "$T/$ev/mysql" | wc -l)"
  check "[$ev] the audit: MySQL = Redis" "$ROOT/scripts/report" --audit-only --event "$ev" --sold-out
done

# --- c2: the lost-write fence ---------------------------------------------------------
# fence EVENT LABEL: on EVENT's master, stop its replica, let 5 users try to
# reserve, kill the master, resume the replica and wait for its promotion
# and the reconciler's check. Leaves the answers in $T/LABEL/results and
# the 201s' order ids in $T/LABEL/acked.
fence() {
  local ev=$1 label=$2 m r
  m=$(master_of "$ev"); r=$(replica_of "$m")
  wait_until 20 "[$label] the replica $r is in sync" in_sync "$r" || return 1
  # Stopped, the replica still receives into its socket buffer what the
  # master sends: the link is cut too, as a partition or a dying link
  # would, so that the writes after this reach no replica.
  kill -STOP "$(redis_pid "$r")"
  redis_cli_node "$m" client kill type replica > /dev/null
  for i in 1 2 3 4 5; do echo "POST /api/events/$ev/reservations user_id=$label-$i"; done | race 5 "$T/$label"
  FENCE_SOLD=$(redis_cli_node "$m" hget "ev:{$ev}" sold)
  kill -KILL "$(redis_pid "$m")"
  kill -CONT "$(redis_pid "$r")"
  wait_until 30 "[$label] the replica $r is promoted" is_master "$r" || return 1
  wait_until 20 "[$label] cluster_state:ok" cluster_ok || return 1
  reconcile --once > /dev/null 2>&1 || true
  orders_of "$T/$label" | cut -d' ' -f1 > "$T/$label/acked"
}
# lost LABEL EVENT: how many order ids of $T/LABEL/acked are in neither Redis nor MySQL
lost() {
  local n=0 o
  while read -r o; do
    [ "$(redis_cli exists "ev:{$2}:o:$o")" = 1 ] && continue
    [ "$(sql "SELECT COUNT(*) FROM orders WHERE order_id='$o'")" = 1 ] && continue
    n=$((n + 1))
  done < "$T/$1/acked"
  echo $n
}
mapfile -t M < <(masters)
F=$(event_on "${M[1]}" f); G=$(event_on "${M[2]}" g)
create_event "$F" 100; create_event "$G" 100
fence "$F" fence
check_eq "[fence] with WAIT: the 5 reservations the replica could not confirm were answered 503" "5" \
  "$(awk '$2 == 503' "$T/fence/results" | wc -l)"
check "  … \"not confirmed\"" grep -q '"message":"not confirmed"' "$T/fence/1"
check_eq "[fence] the master had made them (sold $FENCE_SOLD), the promoted replica has none: they were lost" 0 "$(sold "$F")"
check_eq "[fence] no client holds a 201 for a lost order" 0 "$(lost fence "$F")"
"$ROOT/scripts/redis-cluster" up > /dev/null
# The control: the same fault with workers that do not WAIT.
"$ROOT/scripts/stack" down pools > /dev/null
SECKILL_REDIS_WAIT_MS=0 "$ROOT/scripts/stack" up pools > /dev/null
fence "$G" control
n_lost=$(lost control "$G")
echo "# control (no WAIT): $(grep -c ' 201$' "$T/control/results") reservations answered 201, $n_lost of them lost with the master"
check_eq "[control] without WAIT the 5 reservations were answered 201" 5 "$(grep -c ' 201$' "$T/control/results")"
check_eq "[control] … and all 5 acknowledged orders were lost with the master" 5 "$n_lost"
"$ROOT/scripts/stack" down pools > /dev/null
finish
