#!/usr/bin/env bash
# redis_reshard_test — a live event's slot resharded mid-sale with
# `redis-cli --cluster reshard` (docs/reliability.md, fault c3;
# SECKILL_REDIS_MODE=cluster):
#   - the move is followed (MOVED, ASK); while the slot is half moved the
#     event answers 503 (TRYAGAIN), and once moved it pauses (503 "sales are
#     paused") until the reconciler has checked it against its new master;
#     no other error; the reconciler runs beside the sale, as cron would
#   - the event ends on the other master, sold out, nothing oversold or
#     unsold, every order answered 201 in MySQL, MySQL = Redis
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_cluster_stack redis mysql pools nginx

masters() { local p; for p in $(cluster_ports); do [ "$(redis_cli_node "$p" role 2>/dev/null | head -1)" = master ] && echo "$p"; done; }
master_of() { local p; for p in $(masters); do [ "$(redis_cli_node "$p" exists "ev:{$1}")" = 1 ] && echo "$p"; done; }
# first_slots PORT: the first slot of the master's first range
first_slot() { redis_cli_node "$1" cluster nodes | awk '/myself/ {split($9, r, "-"); print r[1]}'; }

mapfile -t M < <(masters)
from=${M[0]}; to=${M[1]}
lo=$(first_slot "$from")
# An event among the first 200 slots of `from`: reshard moves a source's lowest slots first.
EV=$(for i in $(seq 1 3000); do echo "cluster keyslot ev:{rs$i}"; done | redis_cli_node "$from" |
  awk -v lo="$lo" '$1 >= lo && $1 < lo + 200 {print "rs" NR; exit}')
check "an event in the first 200 slots of master $from ($EV)" test -n "$EV"
TICKETS=1500
create_event "$EV" "$TICKETS"
check_eq "[$EV] on master $from" "$from" "$(master_of "$EV")"

# The reconciler beside the sale, every 0.2 s, as cron's loop would.
( while :; do reconcile --once > /dev/null 2>&1; sleep 0.2; done ) &
loop=$!
at_exit "kill $loop 2>/dev/null"
for i in $(seq 1 2500); do echo "POST /api/events/$EV/reservations user_id=$EV-u$i"; done > "$T/w1.spec"
race 8 "$T/w1" < "$T/w1.spec" &
load=$!
wait_until 30 "[$EV] the sale started" sold_at_least "$EV" 100
REDISCLI_AUTH=$(cat "$VAR/secrets/redis.pass") redis-cli --cluster reshard "127.0.0.1:$from" \
  --cluster-from "$(redis_cli_node "$from" cluster myid)" --cluster-to "$(redis_cli_node "$to" cluster myid)" \
  --cluster-slots 200 --cluster-yes > "$T/reshard.log" 2>&1
check "redis-cli --cluster reshard moved 200 slots mid-sale ($(sold "$EV") of $TICKETS sold)" test "$(sold "$EV")" -lt "$TICKETS"
check_eq "[$EV] now on master $to" "$to" "$(master_of "$EV")"
wait "$load"
wave=2
while [ "$(sold "$EV")" -lt "$TICKETS" ] && [ $wave -le 6 ]; do
  for i in $(seq 1 "$TICKETS"); do echo "POST /api/events/$EV/reservations user_id=$EV-w$wave-$i"; done | race 8 "$T/w$wave"
  wave=$((wave + 1))
done
kill "$loop" 2>/dev/null; wait "$loop" 2>/dev/null
cat "$T"/w*/results > "$T/all"
n503=$(awk '$2 == 503' "$T/all" | wc -l)
echo "# answers: $(awk '{print $2}' "$T/all" | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')"
check_eq "[$EV] answers: only 201, 409, 429 and the documented 503s ($n503)" 0 "$(awk '$2 !~ /^(201|409|429|503)$/' "$T/all" | wc -l)"
bad503=0 moving=0 paused=0
for w in "$T"/w*/; do
  while read -r f; do
    if grep -q '"message":"try again shortly"' "$w/$f"; then moving=$((moving + 1))
    elif grep -q 'sales are paused' "$w/$f"; then paused=$((paused + 1))
    else bad503=$((bad503 + 1)); fi
  done < <(awk '$2 == 503 {print $1}' "$w/results")
done
echo "# 503s: $moving while the slot moved (try again shortly), $paused paused until the reconciler's check"
check_eq "[$EV] every 503 is a move's (try again) or the pause's" 0 "$bad503"
for w in "$T"/w*/; do
  awk -v d="$w" '$2 == 201 {print d $1}' "$w/results" | xargs -r cat | grep -o '"order_id":"[^"]*"' | cut -d'"' -f4
done | sort -u > "$T/acked201"
reconcile --once > /dev/null 2>&1 || reconcile --once > /dev/null 2>&1
check_eq "[$EV] sold out, none twice: Redis sold = $TICKETS" "$TICKETS" "$(sold "$EV")"
check_eq "[$EV] MySQL holds exactly the tickets sold" "$TICKETS" \
  "$(sql "SELECT COUNT(*) FROM orders WHERE event_id='$EV' AND status IN ('reserved','paid')")"
sql "SELECT order_id FROM orders WHERE event_id='$EV' AND status IN ('reserved','paid')" | sort > "$T/mysql"
check_eq "[$EV] every order answered 201 ($(wc -l < "$T/acked201")) is in MySQL" 0 "$(comm -23 "$T/acked201" "$T/mysql" | wc -l)"
check "[$EV] the audit: MySQL = Redis" "$ROOT/scripts/report" --audit-only --event "$EV" --sold-out
finish
