#!/usr/bin/env bash
# stream_trim_test — the reconciler never trims, and never silently
# acknowledges, a stream entry another run read but did not commit
# (lua/trim_stream.lua, reconciler/event_stream.h):
#   - a run blocked between its read and its commit (the orders table
#     locked), SIGKILLed there while a second run trims: the killed run's
#     entries survive the trim, and the next run writes every order, once;
#   - an entry pending but trimmed away (what a non-atomic trim could do):
#     the run stops with an error naming it, exit 1, and leaves it pending.
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql
T=$(mktemp -d)
pending() { redis_cli xpending "ev:{$1}:log" reconciler | head -1; }
fill() { admin fill --event "$1" --count "$2" --redis "unix:$REDIS_SOCK" --redis-password-file "$VAR/secrets/redis.pass" > /dev/null; }

# --- a run killed between its read and its commit, another trimming ---------------
create_event held 100 1 600
fill held 40
# The orders table locked by another session: the run reads, then waits to write.
mysql_root seckill -e "LOCK TABLES orders WRITE; SELECT SLEEP(20);" > /dev/null 2>&1 &
locker=$!
for _ in $(seq 1 50); do [ "$(sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP%'")" -gt 0 ] && break; sleep 0.1; done
reconcile_bg "$T/a.out" --once --batch 10
a=$RECONCILER_PID
for _ in $(seq 1 100); do [ "$(pending held)" -gt 0 ] && break; sleep 0.05; done
kill -KILL "$a"; wait "$a" 2>/dev/null
# What the killed run held: its batch, and the next one it may have read ahead.
held_before=$(pending held)
check "the first run read entries it had not committed ($held_before pending when it was killed)" test "$held_before" -gt 0
kill "$locker" 2>/dev/null; wait "$locker" 2>/dev/null
sql "KILL QUERY (SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP%' LIMIT 1)" > /dev/null 2>&1
for _ in $(seq 1 50); do [ "$(sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP%'")" -eq 0 ] && break; sleep 0.1; done
check_eq "killed before its commit: no row written" 0 "$(rows held)"
# A second run's trim (the stream as a run sees it after reading nothing new)
# must keep every entry still pending.
redis_cli xlen 'ev:{held}:log' > "$T/len"
redis_cli evalsha "$(redis_cli script load "$(cat "$BUILD/gen/lua/trim_stream.lua")")" 1 'ev:{held}:log' reconciler > /dev/null
check_eq "a trim keeps the killed run's pending entries" "$held_before" "$(pending held)"
check_eq "and every entry from the oldest pending one" "$(cat "$T/len")" "$(redis_cli xlen 'ev:{held}:log')"
out=$(reconcile --once 2>&1); rc=$?
check_eq "the next run succeeds" 0 "$rc"
check_eq "every order written, once" 40 "$(rows held)"
check_eq "nothing left pending" 0 "$(pending held)"

# --- an entry pending but trimmed away ------------------------------------------------
create_event lost 100 1 600
fill lost 5
redis_cli xreadgroup GROUP reconciler reconciler COUNT 2 STREAMS 'ev:{lost}:log' '>' > /dev/null
third=$(redis_cli xrange 'ev:{lost}:log' - + | sed -n '1~13p' | sed -n 3p)  # entries are 13 lines each: id + 12 fields
redis_cli xtrim 'ev:{lost}:log' MINID "$third" > /dev/null  # drops the two pending entries' content
out=$(reconcile --once 2>&1); rc=$?
check_eq "a pending entry trimmed away stops the run (exit 1)" 1 "$rc"
check "naming the entry and the risk" grep -q 'is pending but was trimmed away' <<< "$out"
check_eq "it is not acknowledged" 2 "$(pending lost)"
finish
