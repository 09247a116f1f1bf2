#!/usr/bin/env bash
# reconciler_fairness_test — two rules of the reconciler's pass
# (reconciler/reconciler.h, reconciler/order_store.h):
#   - a busy event cannot starve the others: with a budget (0.3 s) far too short for
#     a 40,000-entry event, a pass still moves every entry of a small one,
#     whatever order the events come in;
#   - in MySQL a final status is never overwritten by another: a stray
#     "expired" entry for an order MySQL holds as paid changes nothing.
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql
fill() { admin fill --event "$1" --count "$2" --redis "unix:$REDIS_SOCK" --redis-password-file "$VAR/secrets/redis.pass" > /dev/null; }

# --- fair shares of the budget ------------------------------------------------------
for e in big0 small1 big2 small3; do create_event "$e" 200000 1 600; done
fill big0 40000; fill big2 40000; fill small1 300; fill small3 300
out=$(reconcile --once --budget 0.3 --batch 500 2>&1)
check_eq "one pass of 0.3 s: every entry of the first small event" 300 "$(rows small1)"
check_eq "and of the second" 300 "$(rows small3)"
b0=$(rows big0); b2=$(rows big2)
check "the busy events moved only part of theirs ($b0 and $b2 of 40,000)" test "$b0" -lt 40000 -a "$b2" -lt 40000
check "the pass says so: lag left behind" grep -Eq 'lag [1-9][0-9]* ms' <<< "$out"

# --- a final status stays ----------------------------------------------------------
create_event fin 10 1 600
fill fin 1
order=fin-00000000000000000000000000000001
reconcile --once > /dev/null
redis_cli hset "ev:{fin}:o:$order" status paid paid_at 2000000000000 > /dev/null
redis_cli xadd 'ev:{fin}:log' '*' t paid o "$order" u f1 n n2 at 2000000000000 > /dev/null
reconcile --once > /dev/null
check_eq "MySQL has the order paid" paid "$(sql "SELECT status FROM orders WHERE order_id='$order'")"
redis_cli xadd 'ev:{fin}:log' '*' t expired o "$order" u f1 n n2 at 2000000001000 > /dev/null
redis_cli xadd 'ev:{fin}:log' '*' t cancelled o "$order" u f1 n n2 at 2000000002000 > /dev/null
out=$(reconcile --once 2>&1); rc=$?
check_eq "the run with stray final entries succeeds" 0 "$rc"
check_eq "the paid order stays paid, its other times unset" "paid NULL NULL" \
  "$(sql "SELECT status, IFNULL(expired_at,'NULL'), IFNULL(cancelled_at,'NULL') FROM orders WHERE order_id='$order'" | tr '\t' ' ')"
finish
