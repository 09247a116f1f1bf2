#!/usr/bin/env bash
# reconciler_move_test — seckill-reconciler moving a sale into MariaDB:
#   - 10,000 reservations, 100 payments, 50 cancellations land as exactly
#     10,000 rows with their statuses, the event row and the run recorded
#   - a second run moves nothing and changes no row; acknowledged entries
#     are trimmed from Redis
#   - ids are case-sensitive in MySQL too (migration 002); the schema is at
#     the last migration, with its indexes (migration 003)
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
by_status() { sql "SELECT status, COUNT(*) FROM orders WHERE event_id='$1' GROUP BY status ORDER BY status" | tr '\t\n' '= '; }
checksum() { sql "SELECT COUNT(*), SUM(CRC32(CONCAT_WS(',', order_id, user_id, node, status, reserved_at, expires_at, IFNULL(paid_at,''), IFNULL(cancelled_at,''), IFNULL(expired_at,'')))) FROM orders"; }

# --- 10,000 reservations ---------------------------------------------------------
create_event ten 10000 1 600
d=$(buy ten 1 10400 200)
check_eq "10,000 tickets reserved over HTTP" 10000 "$(grep -c ' 201$' "$d/results")"
orders_of "$d" > "$T/ten.ids"
head -100 "$T/ten.ids" | while read -r o u; do echo "POST /api/orders/$o/payment user_id=$u"; done | race 20 "$T/pay"
check_eq "100 orders paid" 100 "$(grep -c ' 200$' "$T/pay/results")"
sed -n '101,150p' "$T/ten.ids" | while read -r o u; do echo "POST /api/orders/$o/cancellation user_id=$u"; done | race 20 "$T/cancel"
check_eq "50 orders cancelled" 50 "$(grep -c ' 200$' "$T/cancel/results")"
out=$(reconcile --once 2>&1); rc=$?
check_eq "one run succeeds" 0 "$rc"
check "it prints one summary line" grep -Eq '^reconciler: moved 10150, released 0, lag 0 ms, [0-9]+ ms, 1 events$' <<< "$out"
check_eq "exactly 10,000 rows" 10000 "$(rows ten)"
check_eq "statuses are right" "reserved=9850 paid=100 cancelled=50 " "$(by_status ten)"
check_eq "the event row is there" "10000 1 600" "$(sql "SELECT total, per_user_limit, window_seconds FROM events WHERE event_id='ten'" | tr '\t' ' ')"
check_eq "the run is recorded" "10150 0 0" "$(sql "SELECT moved, released, errors FROM reconciler_runs ORDER BY run_id DESC LIMIT 1" | tr '\t' ' ')"
before=$(checksum)
out=$(reconcile --once 2>&1)
check "a second run moves nothing" grep -q '^reconciler: moved 0, released 0' <<< "$out"
check_eq "and changes no row" "$before" "$(checksum)"
check_eq "acknowledged entries are trimmed from Redis" 1 "$(redis_cli xlen 'ev:{ten}:log')"

# --- ids are case-sensitive in MySQL too (migration 002) ----------------------------------------
create_event Case 5 1 600; create_event case 7 1 600
http POST /api/events/Case/reservations user_id=Ann; http POST /api/events/Case/reservations user_id=ann
reconcile --once > /dev/null
check_eq "events differing in case are two rows" "Case 5 case 7" "$(sql "SELECT event_id, total FROM events WHERE event_id IN ('Case','case') ORDER BY total" | tr '\t\n' '  ' | sed 's/ $//')"
check_eq "users differing in case are two holders" 2 "$(sql "SELECT COUNT(DISTINCT user_id) FROM orders WHERE event_id='Case'")"
last=$(find "$ROOT/sql/migrations" -name '[0-9]*.sql' | sort | tail -1); last=$(basename "$last"); last=$((10#${last%%_*}))
check_eq "schema at the last migration ($last)" "$last" "$(sql "SELECT MAX(version) FROM schema_migrations")"
check_eq "migration 003: orders has two secondary indexes" "orders_event_status_node orders_event_user" \
  "$(sql "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema='seckill' AND table_name='orders' AND index_name <> 'PRIMARY' ORDER BY index_name" | paste -sd' ')"

finish
