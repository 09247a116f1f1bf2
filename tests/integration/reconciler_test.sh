#!/usr/bin/env bash
# reconciler_test — seckill-reconciler against real Redis and MariaDB:
#   - 10,000 reservations land as exactly 10,000 rows; a second run changes nothing
#   - SIGKILL in the middle of a batch, then a new run: the same rows
#   - MariaDB stopped: a clear failure, nothing lost; back: everything lands
#   - two runs at once: the same rows as one (with and without the lock file)
#   - a 2-second window: unpaid orders expire, their tickets sell again
#     through the API, exactly as many as were released; late payment is 410
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
T=$(mktemp -d)
rows() { sql "SELECT COUNT(*) FROM orders WHERE event_id='$1'"; }
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

# --- killed in the middle of a batch ------------------------------------------------
create_event kill 8000 1 600
d=$(buy kill 1 8000 200)
expected=$(grep -c ' 201$' "$d/results")
reconcile_bg "$T/killed.out" --once --batch 200
pid=$RECONCILER_PID
for i in $(seq 1 100); do [ "$(rows kill)" -gt 0 ] && break; sleep 0.02; done
kill -KILL "$pid"; wait "$pid" 2>/dev/null
partial=$(rows kill)
if [ "$partial" -lt "$expected" ]; then ok "killed mid-run with $partial of $expected rows written"; else not_ok "killed mid-run" "it had already finished ($partial rows)"; fi
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

# --- two runs at once ---------------------------------------------------------------
create_event twice 6000 1 600
d=$(buy twice 1 6000 200)
reconcile --once --batch 300 > "$T/a.out" 2>&1 &
a=$!
reconcile --once --batch 300 > "$T/b.out" 2>&1 &
b=$!
wait $a; ra=$?; wait $b; rb=$?
check_eq "two runs at once without a lock both succeed" "0 0" "$ra $rb"
check_eq "together they wrote each row once" 6000 "$(rows twice)"
check_eq "all reserved" "reserved=6000 " "$(by_status twice)"
moved=$(cat "$T/a.out" "$T/b.out" | sed -n 's/^reconciler: moved \([0-9]*\),.*/\1/p' | paste -sd+ | bc)
check "between them they moved every entry (some perhaps twice)" test "$moved" -ge 6000
lock=$T/rec.lock
exec 9>"$lock"; flock 9
"$BUILD/seckill-reconciler" --redis "unix:$REDIS_SOCK" --redis-password-file "$VAR/secrets/redis-reconciler.pass" \
  --mysql-port "$MYSQL_PORT" --mysql-password-file "$VAR/secrets/mysql-reconciler.pass" --lock-file "$lock" > "$T/locked.out" 2>&1; rc=$?
exec 9>&-
check_eq "with the lock held, a second run exits 0 at once" 0 "$rc"
check "and says another run holds the lock" grep -q 'another run holds' "$T/locked.out"

# --- expiry and resale ----------------------------------------------------------------
create_event exp 20 1 2
d=$(buy exp 1 20 20)
check_eq "20 tickets reserved with a 2 s window" 20 "$(grep -c ' 201$' "$d/results")"
ids=$(orders_of "$d")
paid=0
while read -r o u; do
  http POST "/api/orders/$o/payment" "user_id=$u"; [ "$STATUS" = 200 ] && paid=$((paid + 1))
done < <(head -8 <<< "$ids")
check_eq "8 pay in time" 8 "$paid"
http POST /api/events/exp/reservations user_id=early
check_eq "sold out before the window ends" 409 "$STATUS"
sleep 2.3
read -r late lu < <(sed -n 9p <<< "$ids")
http POST "/api/orders/$late/payment" "user_id=$lu"
check_eq "a payment after the window is 410" 410 "$STATUS"
out=$(reconcile --once 2>&1)
check "the run releases the other 11 unpaid orders" grep -q '^reconciler: moved [0-9]*, released 11,' <<< "$out"
check_eq "MySQL: 8 paid, 12 expired" "paid=8 expired=12 " "$(by_status exp)"
check_eq "Redis: the 12 tickets are back in stock" 8 "$(redis_cli hget 'ev:{exp}' sold)"
sleep 0.5  # the fronts' watchers lower the sold-out flag
d2=$(buy exp 101 160 20)
check_eq "exactly the 12 released tickets sell again through the API" 12 "$(grep -c ' 201$' "$d2/results")"
check_eq "the rest are sold out" 48 "$(grep -c ' 409$' "$d2/results")"
check_eq "Redis: sold out again" 20 "$(redis_cli hget 'ev:{exp}' sold)"
still=0
while read -r o u; do
  http GET "/api/orders/$o?user_id=$u"; [ "$(jq -r .status <<< "$BODY")" = paid ] && still=$((still + 1))
done < <(head -8 <<< "$ids")
check_eq "paid orders stay paid" 8 "$still"
reconcile --once > /dev/null 2>&1
check_eq "MySQL after the resale: 8 paid, 12 expired, 12 reserved" "reserved=12 paid=8 expired=12 " "$(by_status exp)"

# --- ids are case-sensitive in MySQL too (migration 002) ----------------------------------------
create_event Case 5 1 600; create_event case 7 1 600
http POST /api/events/Case/reservations user_id=Ann; http POST /api/events/Case/reservations user_id=ann
reconcile --once > /dev/null
check_eq "events differing in case are two rows" "Case 5 case 7" "$(sql "SELECT event_id, total FROM events WHERE event_id IN ('Case','case') ORDER BY total" | tr '\t\n' '  ' | sed 's/ $//')"
check_eq "users differing in case are two holders" 2 "$(sql "SELECT COUNT(DISTINCT user_id) FROM orders WHERE event_id='Case'")"
last=$(ls "$ROOT"/sql/migrations/[0-9]*.sql | tail -1); last=$(basename "$last"); last=$((10#${last%%_*}))
check_eq "schema at the last migration ($last)" "$last" "$(sql "SELECT MAX(version) FROM schema_migrations")"
check_eq "migration 003: orders has two secondary indexes" "orders_event_status_node orders_event_user" \
  "$(sql "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema='seckill' AND table_name='orders' AND index_name <> 'PRIMARY' ORDER BY index_name" | paste -sd' ')"

rm -rf "$T"
finish
