#!/usr/bin/env bash
# shellcheck disable=SC2016 # the conditions are eval'd when they are checked
# stack_reconciler_test — the local stack is the whole system (issue 12, item
# 17): `scripts/stack up` also runs the reconciler, supervised, as cron runs
# it in deploy (scripts/reconcile --supervise):
#   - stack status shows it (the supervisor's pid, the reconciler's, its last
#     pass); its pid file and log are under var/
#   - it moves reservations into MySQL with no run by hand
#   - a reconciler that dies is started again by its supervisor; reopen-logs
#     makes the next run open its log anew (rotation)
#   - after a Redis restart the sale resumes by itself: a 201 within 10 s,
#     no manual step (the pass checks the restarted Redis against MySQL)
#   - stack down stops it, supervisor and reconciler; SECKILL_RECONCILER=0
#     leaves it out of "up"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack
sup() { cat "$VAR/run/reconciler.pid" 2>/dev/null; }
rec() { pgrep -P "$(sup)" 2>/dev/null | head -1; }
held() { sql "SELECT COUNT(*) FROM orders WHERE event_id='$1' AND status IN ('reserved','paid')"; }

check "stack up started the reconciler's supervisor (var/run/reconciler.pid)" pid_alive "$VAR/run/reconciler.pid"
wait_until 5 "the supervisor runs a reconciler" test -n "$(rec)"
out=$("$ROOT/scripts/stack" status); rc=$?
check_eq "stack status: everything runs (exit 0)" 0 "$rc"
check "stack status shows the reconciler, its supervisor's pid and its own" \
  grep -Eq "^reconciler +running +pid $(sup) \(supervisor\), reconciler: $(rec)" <<< "$out"
# (grep reads to the end: with -q it could exit first, and status die of SIGPIPE under pipefail)
check_within 5 "stack status shows its last pass" eval '"$ROOT/scripts/stack" status | grep "last pass: moved" > /dev/null'
check "its lines go to var/log/reconciler.log" grep -q '^reconciler: moved' "$VAR/log/reconciler.log"

# --- it moves the sale into MySQL by itself ---------------------------------------
create_event auto 50
d=$(buy auto 1 60 20)
check_eq "60 users for 50 tickets: 50 reserved" 50 "$(grep -c ' 201$' "$d/results")"
check_within 10 "the reservations reach MySQL with no run by hand" eval 'test "$(held auto)" = 50'

# --- supervised: a reconciler that dies is started again -------------------------
old=$(rec)
kill -KILL "$old"
check_within 5 "a killed reconciler ($old) is replaced by its supervisor" eval 'test -n "$(rec)" && test "$(rec)" != "$old"'
check "the supervisor is the same process" pid_alive "$VAR/run/reconciler.pid"

# --- its log rotates: reopen-logs ends the run under way, the next opens the log anew ---
mv "$VAR/log/reconciler.log" "$VAR/log/reconciler.log.1"
"$ROOT/scripts/stack" reopen-logs > /dev/null
check_within 10 "after reopen-logs the next run writes a new reconciler.log" grep -q '^reconciler: moved' "$VAR/log/reconciler.log"

# --- a Redis restart: the sale resumes by itself --------------------------------------
create_event resume 10
"$ROOT/scripts/stack" down redis > /dev/null
http POST /api/events/resume/reservations user_id=r0
check_eq "Redis down: a reservation is 503" 503 "$STATUS"
"$ROOT/scripts/stack" up redis > /dev/null
t0=$(date +%s%N)
got=""
resume_201() { http POST /api/events/resume/reservations "user_id=r$RANDOM$RANDOM"; [ "$STATUS" = 201 ]; }
if poll 10 resume_201; then got=$(( ($(date +%s%N) - t0) / 1000000 )); fi
check "Redis restarted: a 201 within 10 s, with no manual step (${got:-none} ms)" test -n "$got"
echo "# the sale resumed $got ms after Redis was back"
check "the reconciler said it checked the restarted Redis" grep -q 'after a Redis restart' "$VAR/log/reconciler.log"

# --- stack down stops it ------------------------------------------------------------
s=$(sup); r=$(rec)
"$ROOT/scripts/stack" down reconciler > /dev/null
check "stack down reconciler stops the supervisor ($s)" eval '! proc_alive "$s"'
check "and the reconciler ($r)" eval '! proc_alive "$r"'
check "and removes its pid file" test ! -e "$VAR/run/reconciler.pid"
out=$("$ROOT/scripts/stack" status); rc=$?
check_eq "stack status: the reconciler stopped is something down (exit 3)" 3 "$rc"
check "stack status says it is stopped" grep -Eq '^reconciler +stopped' <<< "$out"
SECKILL_RECONCILER=0 "$ROOT/scripts/stack" up > /dev/null
check "SECKILL_RECONCILER=0: stack up leaves it out" test ! -e "$VAR/run/reconciler.pid"
"$ROOT/scripts/stack" up > /dev/null
check "stack up starts it again" pid_alive "$VAR/run/reconciler.pid"
"$ROOT/scripts/stack" down > /dev/null
check "stack down stops it with the rest" eval '! pid_alive "$VAR/run/reconciler.pid" && test -z "$(pgrep -f "seckill-reconciler.*$VAR/")"'

finish
