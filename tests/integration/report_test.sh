#!/usr/bin/env bash
# report_test — scripts/report and sql/reports/ against the real stack
# (nginx, pools, Redis, MariaDB, one reconciler run):
#   - every report runs as the read-only reporter and prints its title
#   - sales per node match the 201s, next to the configured weights
#   - orders by status, revenue, sales per second, payment conversion
#   - --event picks the per-event reports' event (default: the latest)
#   - the audit: ok when reconciled, pending while a change is unreconciled
#     (MISMATCH with --settled), MISMATCH (exit 1) after an order row is
#     deleted behind its back: a released one (orders made differ) or a paid
#     one (held differs); --event audits one event; --sold-out finds the
#     tickets unsold while demand remained
#   - --help and bad usage touch nothing (exit 0 and 2)
#   - the reporter cannot write, not even a temporary table
#   - a clear one-line error when Redis or MariaDB is down
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
T=$(mktemp -d)
REPORT=$ROOT/scripts/report

reconcile() {
  "$BUILD/seckill-reconciler" --redis "unix:$REDIS_SOCK" --redis-password-file "$VAR/secrets/redis.pass" \
    --mysql-port "$MYSQL_PORT" --mysql-password-file "$VAR/secrets/mysql-reconciler.pass" --no-lock > "$T/reconciler.out" 2>&1
}
# section TITLE-PREFIX < REPORT-OUTPUT: the table rows of one report as
# space-separated cells.
section() {
  awk -v t="$1" 'index($0, t) == 1 { on = 1; next } on && /^$/ { exit }
                 on && /^\| / && !head++ { next }
                 on && /^\| / { gsub(/^\| +| +\|$/, ""); gsub(/ +\| +/, " "); print }'
}

# --- a small sale: 2 of 5 tickets of "early", then 50 tickets to 80 users -----------
create_event early 5
for i in 1 2; do http POST /api/events/early/reservations "user_id=e$i"; done
create_event rep 50 1 600 --price 1250
for i in $(seq 1 80); do echo "POST /api/events/rep/reservations user_id=u$i"; done | race 40 "$T/race"
check_eq "80 users for 50 tickets: 50 answered 201" 50 "$(grep -c ' 201$' "$T/race/results")"
grep ' 201$' "$T/race/results" | while read -r n _; do jq -r '.order_id + " " + .user_id + " " + .node' "$T/race/$n"; done > "$T/sold"
paid=0
while read -r oid user _; do
  http POST "/api/orders/$oid/payment" "user_id=$user"
  [ "$STATUS $(jq -r .status <<< "$BODY")" = "200 paid" ] && paid=$((paid + 1))
done < <(head -5 "$T/sold")
check_eq "5 orders paid through the API" 5 "$paid"
check "the reconciler moves everything to MySQL" reconcile
check_eq "MySQL has the 52 orders" 52 "$(mysql_root seckill -N -e 'SELECT COUNT(*) FROM orders')"

# --- every report ------------------------------------------------------------------------
"$REPORT" > "$T/report" 2> "$T/report.err"
check_eq "scripts/report exits 0" "0" "$?"
check_eq "and writes nothing on stderr" "" "$(cat "$T/report.err")"
for title in "== 01 sales per node" "== 02 orders by status" "== 03 sales per second (event rep)" \
             "== 04 payment times (event rep)" "== 05 consistency audit" "== 06 hardest triers" \
             "== audit: Redis against MySQL"; do
  check "the output has the title '$title'" grep -qxF "$title" "$T/report"
done
section "== 01 " < "$T/report" > "$T/nodes"
for n in 1 2 3 4; do
  want="rep n$n $(grep -c " n$n\$" "$T/sold") $n $((n * 10)).0"
  got=$(awk -v n="n$n" '$1 == "rep" && $2 == n { print $1, $2, $3, $5, $6 }' "$T/nodes")
  check_eq "sales per node: n$n's row (event node sold weight weight_percent)" "$want" "$got"
done
check_eq "sales per node: the shares of rep add up to 100 %" 100.0 \
  "$(awk '$1 == "rep" { s += $4 } END { printf "%.1f", s }' "$T/nodes")"
check_eq "orders by status: rep has 50 tickets, 50 orders, 45 reserved, 5 paid, revenue 5 x 12.50" \
  "rep 50 50 45 5 0 0 62.50" "$(section "== 02 " < "$T/report" | grep '^rep ')"
check_eq "orders by status: early has 2 reserved, no revenue" \
  "early 5 2 2 0 0 0 0.00" "$(section "== 02 " < "$T/report" | grep '^early ')"
check_eq "sales per second: the running total ends at 50" 50 \
  "$(section "== 03 " < "$T/report" | tail -1 | awk '{ print $NF }')"
check_eq "sales per second: the seconds add up to 50" 50 \
  "$(section "== 03 " < "$T/report" | awk '{ s += $(NF - 1) } END { print s }')"
pt=$(section "== 04 " < "$T/report")
check_eq "payment times: 50 orders, 5 paid, conversion 10 %" "rep 50 5 10.0" "$(cut -d' ' -f1-4 <<< "$pt")"
# shellcheck disable=SC2016 # an awk program
check "payment times: median <= p90 <= p99, all set" \
  awk '{ exit !($5 ~ /^[0-9.]+$/ && $5 <= $6 && $6 <= $7) }' <<< "$pt"
check_eq "consistency audit: rep holds 50 of 50, not oversold" "rep 50 45 5 50 0" \
  "$(section "== 05 " < "$T/report" | grep '^rep ')"
check_eq "hardest triers: 10 users for rep, 2 for early" "10 2" \
  "$(section "== 06 " < "$T/report" | awk '{ c[$1]++ } END { print c["rep"] + 0, c["early"] + 0 }')"
AUDIT_REP="audit rep: total 50, redis sold 50, mysql held 50, orders made 50 (redis) / 50 (mysql), ok"
AUDIT_EARLY="audit early: total 5, redis sold 2, mysql held 2, orders made 2 (redis) / 2 (mysql), ok"
check "the audit says ok for both events" grep -qxF "$AUDIT_REP" "$T/report"
check "and for early" grep -qxF "$AUDIT_EARLY" "$T/report"

"$REPORT" --event early > "$T/early"
check "--event early: the per-event reports are about early" \
  grep -qxF "== 04 payment times (event early)" "$T/early"
check_eq "--event early: 2 orders, none paid" "early 2 0 0.0" \
  "$(section "== 04 " < "$T/early" | cut -d' ' -f1-4)"
"$REPORT" --event nosuch > /dev/null 2>&1
check_eq "--event of an unknown event is a usage error" 2 "$?"

# --- the audit alone ---------------------------------------------------------------------
out=$("$REPORT" --audit-only); rc=$?
check_eq "--audit-only exits 0" 0 "$rc"
check_eq "--audit-only prints only the audit lines" "$AUDIT_EARLY|$AUDIT_REP" "$(paste -sd'|' <<< "$out")"
out=$("$REPORT" --audit-only --event rep --sold-out --settled); rc=$?
check_eq "--event rep --sold-out --settled: rep alone, sold out and settled, exit 0" "0 $AUDIT_REP" "$rc $out"
out=$("$REPORT" --audit-only --event early --sold-out); rc=$?
check_eq "--event early --sold-out: 3 of early's 5 tickets unsold while demand remained, exit 1" \
  "1 ${AUDIT_EARLY%, ok}, MISMATCH (unsold while demand remained: 3 in Redis)" "$rc $out"

read -r oid user _ < <(sed -n 10p "$T/sold")
http POST "/api/orders/$oid/cancellation" "user_id=$user"
check_eq "a reserved order is cancelled" 200 "$STATUS"
out=$("$REPORT" --audit-only); rc=$?
check_eq "an unreconciled cancellation: --audit-only still exits 0" 0 "$rc"
check "and says pending, within 1 entry" grep -qF "audit rep: total 50, redis sold 49, mysql held 50, orders made \
50 (redis) / 50 (mysql), pending (redis - mysql: held -1, orders made 0, within 1 unreconciled" <<< "$out"
out=$("$REPORT" --audit-only --settled); rc=$?
check_eq "with --settled the unreconciled cancellation is a mismatch: exit 1" 1 "$rc"
check "naming held" grep -qF "audit rep: total 50, redis sold 49, mysql held 50, orders made 50 (redis) / 50 (mysql), \
MISMATCH (redis sold - mysql held = -1, unreconciled entries: 0)" <<< "$out"
reconcile
out=$("$REPORT" --audit-only)
check "after the reconciler ran: ok again" grep -qxF \
  "audit rep: total 50, redis sold 49, mysql held 49, orders made 50 (redis) / 50 (mysql), ok" <<< "$out"

mysql_root seckill -e "DELETE FROM orders WHERE event_id = 'rep' AND status = 'cancelled'"
out=$("$REPORT" --audit-only); rc=$?
check_eq "the cancelled order's row deleted: --audit-only exits 1" 1 "$rc"
check "and prints MISMATCH for rep: held agrees, the orders made do not" grep -qxF "audit rep: total 50, redis sold 49, \
mysql held 49, orders made 50 (redis) / 49 (mysql), MISMATCH (orders made in redis - mysql rows = 1, unreconciled entries: 0)" <<< "$out"

mysql_root seckill -e "DELETE FROM orders WHERE event_id = 'rep' AND status = 'paid' LIMIT 1"
out=$("$REPORT" --audit-only); rc=$?
check_eq "an order row deleted behind the reconciler's back: --audit-only exits 1" 1 "$rc"
check "and prints MISMATCH for rep" grep -q "^audit rep: total 50, redis sold 49, mysql held 48, .*MISMATCH (redis sold - mysql held = 1" <<< "$out"
check "early is still ok" grep -qxF "$AUDIT_EARLY" <<< "$out"
"$REPORT" > /dev/null 2>&1
check_eq "the full report exits 1 too" 1 "$?"

# --- the reporter reads only ---------------------------------------------------------------
fails() { ! "$@" 2> /dev/null; }
check "the reporter cannot INSERT" fails mysql_as reporter -e "INSERT INTO orders (order_id, event_id, user_id, \
node, status, reserved_at, expires_at) VALUES ('x', 'rep', 'x', 'n1', 'paid', NOW(), NOW())"
check "the reporter cannot DELETE" fails mysql_as reporter -e "DELETE FROM orders"
check "the reporter cannot create a temporary table" fails mysql_as reporter -e "CREATE TEMPORARY TABLE t (x INT)"
check_eq "no row was added or removed" 50 "$(mysql_root seckill -N -e 'SELECT COUNT(*) FROM orders')"

# --- usage ------------------------------------------------------------------------------------
out=$(SECKILL_VAR=$T/novar "$REPORT" --help); rc=$?
check_eq "--help: exit 0, the usage, nothing created" "0 1 no" \
  "$rc $(grep -c '^  scripts/report --audit-only' <<< "$out") $([ -e "$T/novar" ] && echo yes || echo no)"
for args in "--sold-out" "--event" "--event bad/id" "--bogus"; do
  # shellcheck disable=SC2086 # the words are the arguments
  SECKILL_VAR=$T/novar "$REPORT" $args > "$T/out" 2> "$T/err"; rc=$?
  check_eq "'$args' is bad usage: exit 2, one line on stderr, nothing created" "2 1 no" \
    "$rc $(wc -l < "$T/err") $([ -e "$T/novar" ] && echo yes || echo no)"
done

# --- servers down --------------------------------------------------------------------------
"$ROOT/scripts/stack" down redis > /dev/null
"$REPORT" --audit-only > "$T/out" 2> "$T/err"
check_eq "Redis down: exit 3" 3 "$?"
check_eq "with one line on stderr naming Redis" "1 1" \
  "$(wc -l < "$T/err") $(grep -c '^report: Redis not reachable' "$T/err")"
"$ROOT/scripts/stack" down mysql > /dev/null
"$REPORT" > "$T/out" 2> "$T/err"
check_eq "MariaDB down: exit 3" 3 "$?"
check_eq "with one line on stderr naming MariaDB" "1 1" \
  "$(wc -l < "$T/err") $(grep -c '^report: MariaDB not reachable' "$T/err")"
check_eq "and no report printed" "" "$(cat "$T/out")"

rm -rf "$T"
finish
