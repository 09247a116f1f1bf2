#!/usr/bin/env bash
# topology_mariadb_test — the MariaDB primary and its replica on the topology
# (scripts/topology; docs/deploy.md, "Promotion"):
#   - the replica follows the primary by GTID, semi-sync AFTER_SYNC is on
#   - the primary SIGKILLed right after a reconciler commit; the replica
#     promoted by scripts/topology promote: every row the primary had is there
#   - the reconciler goes on against the new primary: the rest of the sale
#     moved, the audit (oversold 0, unsold 0, MySQL = Redis) passes on it
#   - promote refuses a second time (no replica left)
# [topology] needs root.
# timeout: 300
# expect-skip: needs root
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_topology
reconcile() { topology_reconcile "$@"; }
db() { mariadb --no-defaults -S "$TOPOLOGY_VAR/$1/run/mysqld.sock" -u root -N -B -e "$2"; }

check_eq "db1 is the primary, db2 its replica" "db1 db2" "$PRIMARY $REPLICA"
check_eq "the replica uses GTID" Slave_Pos "$(mariadb --no-defaults -S "$TOPOLOGY_VAR/db2/run/mysqld.sock" -u root -e "SHOW SLAVE STATUS\G" | awk '/Using_Gtid/ {print $2}')"
check_eq "the replica is read-only" 1 "$(db db2 "SELECT @@read_only")"
check_eq "semi-sync: AFTER_SYNC" AFTER_SYNC "$(db db1 "SELECT @@rpl_semi_sync_master_wait_point")"
check_eq "semi-sync: on (the replica acknowledges)" ON "$(db db1 "SHOW STATUS LIKE 'Rpl_semi_sync_master_status'" | awk '{print $2}')"

create_event pk1 300
buy pk1 1 150 50 > /dev/null
check_eq "150 tickets sold through the VIP" 150 "$(sold pk1)"
reconcile --once > "$T/reconcile1.out" 2>&1
db db1 "SELECT order_id FROM seckill.orders WHERE event_id='pk1' ORDER BY order_id" > "$T/rows-db1"
yes_tx=$(db db1 "SHOW STATUS LIKE 'Rpl_semi_sync_master_yes_tx'" | awk '{print $2}')
kill -KILL "$(cat "$TOPOLOGY_VAR/db1/run/mysqld.pid")"
check_eq "the primary had the reconciler's 150 rows when it was killed" 150 "$(wc -l < "$T/rows-db1")"
check "the primary's commits were acknowledged by the replica (semi-sync yes_tx $yes_tx)" test "${yes_tx:-0}" -gt 0

"$ROOT/scripts/topology" promote > "$T/promote.out" 2>&1
check "scripts/topology promote: $(tail -1 "$T/promote.out")" grep -q "promoted   db2 is the primary" "$T/promote.out"
topology_env
check_eq "scripts/topology env: db2 is the primary" db2 "$PRIMARY"
check_eq "db2 is read-write" 0 "$(db db2 "SELECT @@read_only")"
check_eq "db2 replicates from no one" "" "$(db db2 "SHOW SLAVE STATUS")"
db db2 "SELECT order_id FROM seckill.orders WHERE event_id='pk1' ORDER BY order_id" > "$T/rows-db2"
check "no row lost: db2 has every row db1 had" cmp -s "$T/rows-db1" "$T/rows-db2"

buy pk1 151 450 50 > /dev/null
check_eq "the sale went on: sold out" 300 "$(sold pk1)"
reconcile --once > "$T/reconcile2.out" 2>&1; rc=$?
check_eq "the reconciler runs against the new primary" 0 "$rc"
check_eq "db2 holds the 300 tickets" 300 "$(db db2 "SELECT COUNT(*) FROM seckill.orders WHERE event_id='pk1' AND status IN ('reserved','paid')")"
check "the audit on the new primary: nothing oversold, nothing unsold, MySQL = Redis" \
  on primary "$ROOT/scripts/report" --audit-only --event pk1 --sold-out --settled
check "promote refuses a second time (no replica left)" bash -c "! '$ROOT/scripts/topology' promote 2>/dev/null"
check "scripts/topology status names db2 the primary" bash -c "'$ROOT/scripts/topology' status | grep -q 'primary db2 (promoted'"
finish
