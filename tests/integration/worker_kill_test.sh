#!/usr/bin/env bash
# worker_kill_test — FastCGI workers SIGKILLed (docs/reliability.md, faults 1
# and 2), each mid-sale (tests/lib.sh's sale_with proves the kill came while
# tickets were left and clients were sending, and that the sale went on):
#   - one worker of pool n3: multiwatch starts a new one (a new pid); the
#     clients see only 201, 409 and 429
#   - every worker of pool n4: multiwatch replaces them all; each 201 is a
#     ticket, each 429 names an order its user holds, no order id twice
#   - pool n4 whole (multiwatch too): it stays down, the other pools sell
#     its share, and it comes back with its node's count intact
#   - the node counter across a restart: n2's workers, SIGKILLed after
#     selling, are replaced by workers that count on from the node's file
#     (the killed ones' leases stay counted, at most a block of 32 each);
#     stopped cleanly, workers give their leases back; the node files add
#     up to Redis's sold plus the leases lost
# After each sale: every ticket sold once, in Redis and MySQL, and every
# order a client was told of exists (tests/lib.sh's check_sale).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
taken() { sqlite3 "$VAR/nodes/$1.sqlite" "SELECT taken FROM counter WHERE event='$2'"; }

# --- one worker SIGKILLed ----------------------------------------------------------------
kill_one_worker() {
  KILLED=$(pgrep -n -P "$(cat "$VAR/run/pool-n3.pid")") && [ -n "$KILLED" ] && kill -KILL "$KILLED"
}
before=$(pool_workers n3)
sale_with f1 1500 2500 kill_one_worker
only_answers f1 201 409 429
# shellcheck disable=SC2016 # expanded by eval, in wait_until
check_within 10 "[f1] multiwatch replaced the killed worker (pid $KILLED of $before) by a new one" \
  eval 'now=$(pool_workers n3); [ "$(wc -w <<< "$now")" = 2 ] && [[ " $now " != *" $KILLED "* ]]'
check_sale f1 1500

# --- every worker of a pool SIGKILLed --------------------------------------------------------
kill_workers() {
  OLD_N4=$(pool_workers n4)
  # shellcheck disable=SC2086 # a list of pids
  [ -n "$OLD_N4" ] && kill -KILL $OLD_N4
}
sale_with killpool 1000 1500 kill_workers
# shellcheck disable=SC2016 # expanded by eval, in wait_until
check_within 10 "[killpool] multiwatch replaced pool n4's workers ($OLD_N4)" eval 'replaced "$OLD_N4" "$(pool_workers n4)"'
check_sale killpool 1000
sold201=$(grep -c ' 201$' "$T/killpool/all")
failed=$(awk '$2 != 201 && $2 != 409' "$T/killpool/all" | wc -l)
# Every user asks once, so a 429 is nginx's retry on the next pool of a request
# whose worker was killed after Redis had reserved: it answers with the order
# the user now holds. A worker killed after Redis reserved a ticket but before
# it answered leaves that user holding a ticket without a 201; that can happen
# only to a request that got an error or a 429.
if [ "$sold201" -le 1000 ] && [ $((1000 - sold201)) -le "$failed" ]; then
  ok "[killpool] every 201 is a ticket; $((1000 - sold201)) tickets went to requests that got an error or a 429 ($failed of them)"
else not_ok "[killpool] 201s against tickets" "201s $sold201, errors $failed, tickets 1000"; fi
held429=0; n429=0
while read -r f; do
  n429=$((n429 + 1))
  o=$(jq -r .order_id "$f")
  [ "$(redis_cli hget "ev:{killpool}:o:$o" status)" = reserved ] && held429=$((held429 + 1))
done < <(for w in "$T"/killpool/w*/; do awk -v d="$w" '$2 == 429 {print d $1}' "$w/results"; done)
check_eq "[killpool] each 429 names an order the user holds in Redis ($n429 of them)" "$n429" "$held429"
dups=$(find "$T/killpool" -path "$T/killpool/w*/[0-9]*" -type f -print0 | xargs -0 cat | grep -o '"order_id":"[^"]*"' | sort | uniq -d | wc -l)
check_eq "[killpool] no order id twice" 0 "$dups"
only_answers killpool 201 409 429 503

# --- a whole pool SIGKILLed, multiwatch too ----------------------------------------------------
kill_pool() {
  POOL_N4=$(cat "$VAR/run/pool-n4.pid")
  OLD_N4=$(pool_workers n4)
  # shellcheck disable=SC2086 # a list of pids
  kill -KILL "$POOL_N4" $OLD_N4
}
sale_with f2 1500 2500 kill_pool
only_answers f2 201 409 429
down=yes
for p in $POOL_N4 $OLD_N4; do proc_alive "$p" && down=no; done
check_eq "[f2] pool n4 (multiwatch $POOL_N4, workers $OLD_N4) stayed down during the sale" yes "$down"
check_sale f2 1500
n4_sold=$(sql "SELECT COUNT(*) FROM orders WHERE event_id='f2' AND node='n4'")
before=$(taken n4 f2)
"$ROOT/scripts/stack" up pools > /dev/null
check "[f2] pool n4 came back (a new multiwatch)" test "$(cat "$VAR/run/pool-n4.pid")" != "$POOL_N4"
check_eq "[f2] with its count intact" "$before" "$(taken n4 f2)"
check "[f2] the other pools sold n4's share ($n4_sold of 1500 sold by n4, before the kill)" test "$n4_sold" -lt 600

# --- the node counter across a restart ---------------------------------------------------------
create_event carry 100000
d=$(buy carry 1 300 20)
n2a=$(cat "$d"/[0-9]* | grep -c '"node":"n2"')
check "n2 sold on carry ($n2a of 300)" test "$n2a" -gt 0
taken_before=$(taken n2 carry)
# A process takes its node's tickets in blocks and sells them from memory: the
# file counts what n2 sold plus what its two processes still hold leased.
lease_a=$((taken_before - n2a))
check "n2's file counts what it sold and at most a block of 32 per process more ($lease_a)" test "$lease_a" -ge 0 -a "$lease_a" -le 64
kill_pool_workers n2 && ok "n2's workers SIGKILLed and replaced (new pids)"
check_eq "the count in n2's file survived its workers' deaths" "$taken_before" "$(taken n2 carry)"
d=$(buy carry 301 600 20)
n2b=$(cat "$d"/[0-9]* | grep -c '"node":"n2"')
check "n2's new workers sell ($n2b of 300)" test "$n2b" -gt 0
# Killed, a process cannot give its lease back: the node's file keeps counting
# it (those tickets are lost to the node's allotment, never sold twice); the
# new processes count on from there, with leases of their own.
lease_b=$(( $(taken n2 carry) - taken_before - n2b ))
check "the new workers counted on from the file: $taken_before + $n2b sold + $lease_b leased (at most 64)" \
  test "$lease_b" -ge 0 -a "$lease_b" -le 64
"$ROOT/scripts/stack" down pools > /dev/null; "$ROOT/scripts/stack" up pools > /dev/null
check_eq "stopped cleanly, n2's processes gave their leases back to the file" $((taken_before + n2b)) "$(taken n2 carry)"
sum=0; for n in n1 n2 n3 n4; do sum=$((sum + $(taken $n carry))); done
check_eq "the node files add up to Redis's sold plus the $lease_a tickets the killed workers held" \
  $(( $(sold carry) + lease_a )) "$sum"
http POST /api/events/carry/reservations user_id=c-after
check_eq "and the sale goes on" 201 "$STATUS"

finish
