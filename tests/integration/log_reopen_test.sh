#!/usr/bin/env bash
# log_reopen_test — the local stack's logs can be rotated (logrotate, or by
# hand) without restarting anything: `scripts/stack reopen-logs` after the
# files were moved away.
#   - every worker reopens its log on SIGHUP (fcgi/main.cpp), says so in the
#     new file, keeps serving, and is the same process;
#   - nginx reopens its error log (USR1), MariaDB its error log.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
n1_workers() { pool_workers n1 | sort | paste -sd' '; }
create_event logs 100
before=$(n1_workers)
check "node n1 has its workers ($before)" test -n "$before"
for f in worker-n1.log nginx-error.log mysql.log; do mv "$VAR/log/$f" "$VAR/log/$f.1"; done
out=$("$ROOT/scripts/stack" reopen-logs 2>&1); rc=$?
check_eq "reopen-logs succeeds" 0 "$rc"
check "it names what it did" grep -q 'workers reopen their logs' <<< "$out"
wait_until 5 "n1's new log" test -s "$VAR/log/worker-n1.log"
check_eq "each n1 worker reopened its log and said so in the new file" "$(wc -w <<< "$before")" \
  "$(grep -c 'log reopened (SIGHUP)' "$VAR/log/worker-n1.log" 2>/dev/null)"
check_eq "the same processes: none restarted" "$before" "$(n1_workers)"
http POST /api/events/logs/reservations user_id=after-rotation
check_eq "and they serve on" 201 "$STATUS"
check "nginx opened a new error log" test -e "$VAR/log/nginx-error.log"
check "MariaDB opened a new error log" test -e "$VAR/log/mysql.log"
finish
