#!/usr/bin/env bash
# event_recreate_test — an event id created again after Redis lost it
# (docs/operations.md, "Rebuilding Redis from MySQL": events never
# reconciled are created again) sells its whole stock: the node counters'
# rows of the old event start anew (common/node_counter.h, the generation).
#   - the nodes reset by themselves, from the event's created_at in Redis:
#     the event is created again without this host's node files, as on a
#     host that runs no worker (the workers may be on other hosts)
#   - seckill-admin's own preload (--sqlite-dir) resets this host's rows too
# Before the generation, a recreated 100-ticket event sold only about the
# nodes' buffer: their rows kept the old `taken`.
# timeout: 180
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis pools nginx

# rows EVENT: "taken generation" of each node's counter row, one line each
rows() {
  local f
  for f in "$VAR"/nodes/*.sqlite; do
    sqlite3 -separator ' ' "$f" "SELECT taken, generation FROM counter WHERE event = '$1'" 2>/dev/null
  done
}
created_at() { redis_cli hget "ev:{$1}" created_at; }
no_flag() { ! soldout_flag "$1"; }
# sell_out EVENT TAG: waves of 150 new users until the event's 100 tickets
# are sold (at most 4 waves); prints the 201s
sell_out() {
  local ev=$1 tag=$2 wave n=0 dir
  for wave in 1 2 3 4; do
    dir=$T/$ev-$tag-$wave
    for i in $(seq 1 150); do echo "POST /api/events/$ev/reservations user_id=$tag-$wave-$i"; done | race 50 "$dir"
    n=$(( n + $(grep -c ' 201$' "$dir/results") ))
    [ "$(sold "$ev")" -ge 100 ] && break
    poll 5 no_flag "$ev"
  done
  echo "$n"
}
# lose EVENT: Redis loses everything (the operator's FLUSHALL), and the
# fronts' sold-out flag of the event goes (the watchers lower the flag of an
# event missing from Redis)
lose() {
  redis_cli flushall > /dev/null
  wait_until 10 "the sold-out flag of $1 is lowered once Redis lost the event" no_flag "$1"
}

for ev in again1 again2; do
  create_event "$ev" 100
  check_eq "[$ev] the first event sells its 100 tickets" 100 "$(sell_out "$ev" first)"
  first_gen=$(created_at "$ev")
  check "[$ev] the nodes' rows count for its created_at ($first_gen)" \
    test "$(rows "$ev" | awk -v g="$first_gen" '$2 == g' | wc -l)" -eq 4
  check "[$ev] and their taken add up to the 100 sold at least ($(rows "$ev" | awk '{s += $1} END {print s}'))" \
    test "$(rows "$ev" | awk '{s += $1} END {print s}')" -ge 100
  lose "$ev"
  sleep 0.01  # a new millisecond: the new event's created_at differs
  if [ "$ev" = again1 ]; then
    # Created again by an admin host without the node files.
    admin create-event --event "$ev" --tickets 100 --redis "unix:$REDIS_SOCK" \
      --redis-password-file "$VAR/secrets/redis.pass" --cluster "$CLUSTER" > /dev/null
    check "[$ev] created again without touching the node files: rows still of the old event" \
      test "$(rows "$ev" | awk -v g="$first_gen" '$2 == g' | wc -l)" -eq 4
  else
    create_event "$ev" 100  # with --sqlite-dir: this host's rows start anew at once
    check_eq "[$ev] created again with --sqlite-dir: every row reset (taken 0, the new created_at)" \
      "4 rows 0 taken" "$(rows "$ev" | awk -v g="$(created_at "$ev")" '$2 == g {n++; s += $1} END {print n " rows " s + 0 " taken"}')"
  fi
  second_gen=$(created_at "$ev")
  check "[$ev] the event created again has a new created_at ($first_gen, then $second_gen)" test "$second_gen" != "$first_gen"
  check_eq "[$ev] the event created again sells its whole stock: 100 × 201" 100 "$(sell_out "$ev" second)"
  check_eq "[$ev] Redis sold = 100, nothing oversold" 100 "$(sold "$ev")"
  check "[$ev] every node's row now counts for the new created_at" \
    test "$(rows "$ev" | awk -v g="$second_gen" '$2 == g' | wc -l)" -eq 4
done
finish
