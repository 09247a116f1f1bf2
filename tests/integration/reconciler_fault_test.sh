#!/usr/bin/env bash
# reconciler_fault_test — seckill-reconciler when things go wrong
# (docs/reliability.md, faults 7 and 8):
#   - SIGKILLed in the middle of a batch (held there by a lock the test holds
#     on some of its rows; proven: some rows written, not all, the run waiting),
#     then a new run: exactly the rows sold, none twice, nothing pending
#   - MariaDB stopped: a clear failure (exit 1, one line), Redis keeps every
#     entry; MariaDB back: the next run lands all of it
#   - MariaDB SIGKILLed mid-run, while the run commits batch after batch
#     (a lock further on keeps it from finishing first; proven: the run alive,
#     rows still to write): that run exits 1 saying so; after a restart
#     every order once
#   - two runs at once (proven to overlap: both waiting in the middle of a
#     batch at the same instant, and both moved entries): the same rows as one
#   - the lock file: with it held, another run exits 0 at once, saying so
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
by_status() { sql "SELECT status, COUNT(*) FROM orders WHERE event_id='$1' GROUP BY status ORDER BY status" | tr '\t\n' '= '; }

# --- killed in the middle of a batch ------------------------------------------------
create_event kill 8000 1 600
d=$(buy kill 1 8000 200)
expected=$(grep -c ' 201$' "$d/results")
hold_lock kill 1001
reconcile_bg "$T/killed.out" --once --batch 100
pid=$RECONCILER_PID
wait_until 10 "[kill] the run wrote rows and waits in the middle of a batch" waiting_runs 1 kill
kill -KILL "$pid"; rc=$?; wait "$pid" 2>/dev/null
partial=$(rows kill)
release_lock
if [ "$rc" -eq 0 ] && [ "$partial" -lt "$expected" ]; then ok "killed mid-run with $partial of $expected rows written"
else not_ok "killed mid-run" "kill exit $rc, $partial of $expected rows written"; fi
reconcile --once > /dev/null 2>&1
check_eq "after a new run: exactly the rows sold" "$expected" "$(rows kill)"
check_eq "all reserved, none twice" "reserved=$expected " "$(by_status kill)"
check_eq "nothing left pending" 0 "$(redis_cli xpending 'ev:{kill}:log' reconciler | head -1)"

# --- MariaDB down -----------------------------------------------------------------
create_event down 500 1 600
d=$(buy down 1 500 50)
"$ROOT/scripts/stack" down mysql > /dev/null
out=$(reconcile --once 2>&1 >/dev/null); rc=$?
check_eq "with MariaDB down the run exits 1" 1 "$rc"
check_eq "with one line saying why" 1 "$(grep -c 'seckill-reconciler: mysql 127.0.0.1' <<< "$out")"
check_eq "Redis keeps every entry" 500 "$(redis_cli xlen 'ev:{down}:log')"
"$ROOT/scripts/stack" up mysql > /dev/null
reconcile --once > /dev/null 2>&1
check_eq "MariaDB back: the next run lands all of it" 500 "$(rows down)"

# --- MariaDB SIGKILLed mid-run --------------------------------------------------------
create_event f7 6000
d=$(buy f7 1 6000 200)
# The kill comes while the run commits batch after batch (the lock, from
# entry 5001 on, only guarantees that it cannot finish first).
hold_lock f7 5001
reconcile_bg "$T/f7.out" --once --batch 200
rec=$RECONCILER_PID
wait_until 10 "[f7] the run wrote 2,000 rows" some_rows f7 2000
at=$(rows f7); running=no; proc_alive "$rec" && running=yes
kill -KILL "$(cat "$VAR/run/mysqld.pid")"; krc=$?
if [ "$krc" -eq 0 ] && [ "$running" = yes ] && [ "$at" -lt 6000 ]; then ok "[f7] MariaDB SIGKILLed mid-run: $at of 6000 rows written, the run still going"
else not_ok "[f7] MariaDB SIGKILLed mid-run" "kill exit $krc, $at of 6000 rows, run going: $running"; fi
wait "$rec"; rc=$?
check_eq "[f7] the run that lost MariaDB exits 1" 1 "$rc"
check "[f7] saying so in one line" grep -q '^seckill-reconciler: mysql' "$T/f7.out"
"$ROOT/scripts/stack" up mysql > /dev/null
release_lock
reconcile --once > "$T/f7.after" 2>&1
n=$(rows f7)
check_eq "[f7] after restart: every order once" 6000 "$n"
if [ "$n" != 6000 ]; then  # what went missing, for the report
  sed 's/^/# the run that lost MariaDB: /' "$T/f7.out"; sed 's/^/# the run after the restart: /' "$T/f7.after"
  sql "SELECT order_id FROM orders WHERE event_id='f7'" | sort > "$T/f7.mysql"
  redis_cli hvals 'ev:{f7}:users' | sort > "$T/f7.redis"
  comm -13 "$T/f7.mysql" "$T/f7.redis" > "$T/f7.missing"
  echo "# $(wc -l < "$T/f7.missing") orders Redis holds are not in MySQL, e.g.: $(head -1 "$T/f7.missing")"
  echo "# its hash in Redis: $(redis_cli hgetall "ev:{f7}:o:$(head -1 "$T/f7.missing")" | paste -sd' ')"
fi
check_eq "[f7] nothing pending in Redis" 0 "$(redis_cli xpending 'ev:{f7}:log' reconciler | head -1)"

# --- two runs at once ---------------------------------------------------------------
create_event twice 6000 1 600
d=$(buy twice 1 6000 200)
hold_lock twice 1001
reconcile_bg "$T/a.out" --once --batch 100; a=$RECONCILER_PID
reconcile_bg "$T/b.out" --once --batch 100; b=$RECONCILER_PID
wait_until 10 "[twice] both runs wrote rows and wait in the middle of a batch at once" waiting_runs 2 twice
at=$(rows twice); both=no; proc_alive "$a" && proc_alive "$b" && both=yes
release_lock
wait "$a"; ra=$?; wait "$b"; rb=$?
moved_a=$(sed -n 's/^reconciler: moved \([0-9]*\),.*/\1/p' "$T/a.out"); moved_b=$(sed -n 's/^reconciler: moved \([0-9]*\),.*/\1/p' "$T/b.out")
if [ "$both" = yes ] && [ "$at" -lt 6000 ] && [ "${moved_a:-0}" -gt 0 ] && [ "${moved_b:-0}" -gt 0 ]; then
  ok "two runs overlapped: both alive with $at of 6000 rows landed; they moved $moved_a and $moved_b entries"
else not_ok "two runs overlapped" "both alive: $both at $at of 6000 rows; moved ${moved_a:-?} and ${moved_b:-?}"; fi
check_eq "two runs at once without a lock both succeed" "0 0" "$ra $rb"
check_eq "together they wrote each row once" 6000 "$(rows twice)"
check_eq "all reserved" "reserved=6000 " "$(by_status twice)"
check "between them they moved every entry (some perhaps twice)" test $(( ${moved_a:-0} + ${moved_b:-0} )) -ge 6000

# --- the lock file ------------------------------------------------------------------
lock=$T/rec.lock
exec 9>"$lock"; flock 9
reconciler_argv
with_lock=()
for arg in "${RECONCILER_ARGV[@]}"; do [ "$arg" = --no-lock ] || with_lock+=("$arg"); done
"${with_lock[@]}" --lock-file "$lock" > "$T/locked.out" 2>&1; rc=$?
exec 9>&-
check_eq "with the lock held, a second run exits 0 at once" 0 "$rc"
check "and says another run holds the lock" grep -q 'another run holds' "$T/locked.out"

finish
