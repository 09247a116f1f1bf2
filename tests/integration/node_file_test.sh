#!/usr/bin/env bash
# node_file_test — fault 9 of docs/reliability.md: a node's SQLite counter
# file unusable.
#   - locked by another process (held by the test until it lets go, and
#     proven held before and after the requests): that node's requests are
#     503 JSON, each answered quickly (a probe's time, under 0.5 s); the
#     other nodes go on selling; the lock gone, the node sells again
#   - its disk full (a 1 MB tmpfs, filled up): that node's requests are 503,
#     the other nodes go on selling, no other answer
# The disk-full case needs root (mount); elsewhere it is skipped, which
# tests/run counts as a failure unless told: EXPECT_SKIP='disk full'.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis pools nginx
DB=$VAR/nodes/n2.sqlite

# --- locked ---------------------------------------------------------------------------------
create_event f9 100000
# locked: true when another process holds n2's file's write lock
locked() { ! sqlite3 -cmd '.timeout 0' "$DB" 'BEGIN IMMEDIATE; ROLLBACK;' > /dev/null 2>&1; }
tokens_for $(seq -f 'f9-t%g' 1 30) $(seq -f 'f9-%g' 1 200)  # minted before the lock is taken
mkfifo "$T/lock.in"
sqlite3 "$DB" < "$T/lock.in" > "$T/locker.out" 2>&1 &
locker=$!
exec 7> "$T/lock.in"
echo "BEGIN IMMEDIATE; UPDATE counter SET taken = taken WHERE 0;" >&7
wait_until 5 "[f9] the test holds n2's file's lock" locked
for i in $(seq 1 200); do echo "POST /api/events/f9/reservations user_id=f9-$i"; done | race 20 "$T/f9"
# Probes one at a time, each timed by curl: how long a 503 takes.
for i in $(seq 1 30); do
  curl -s -o /dev/null --max-time 10 -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer ${TOKENS[f9-t$i]}" -X POST -d "user_id=f9-t$i" "$BASE_URL/api/events/f9/reservations"
done > "$T/probes"
held_through=no; locked && held_through=yes
echo "COMMIT;" >&7; exec 7>&-
wait "$locker"
check_eq "[f9] the lock was held through the requests and probes" yes "$held_through"
n2_503=$(grep -c ' 503$' "$T/f9/results")
check "[f9] with n2's file locked, n2's requests are 503 ($n2_503 of 200)" test "$n2_503" -ge 20 -a "$n2_503" -le 60
probe503=$(awk '$1 == 503' "$T/probes" | wc -l)
slowest=$(awk '$1 == 503 && $2 > m {m = $2} END {print m + 0}' "$T/probes")
check "[f9] quickly: probes met the lock ($probe503 of 30 were 503) and every 503 took under 0.5 s (slowest ${slowest} s)" \
  awk -v n="$probe503" -v t="$slowest" 'BEGIN {exit !(n > 0 && t < 0.5)}'
check "[f9] the other nodes go on selling" test "$(grep -c ' 201$' "$T/f9/results")" -ge 140
check_eq "[f9] a 503 is JSON" unavailable "$(grep ' 503$' "$T/f9/results" | head -1 | { read -r n _; jq -r .error "$T/f9/$n"; })"
for i in $(seq 1 40); do echo "POST /api/events/f9/reservations user_id=f9-b$i"; done | race 10 "$T/f9b"
check_eq "[f9] the lock gone, n2 sells again: no 503 in 40" 0 "$(awk '$2 == 503' "$T/f9b/results" | wc -l)"

# --- disk full: n2's counter on a 1 MB tmpfs, then filled up -----------------------------------
mkdir -p "$T/tmpfs"
if mount -t tmpfs -o size=1m seckill-f9 "$T/tmpfs" 2>/dev/null; then
  at_exit "umount '$T/tmpfs' 2>/dev/null"
  "$ROOT/scripts/stack" down pools > /dev/null
  cp "$DB" "$T/tmpfs/n2.sqlite"
  rm -f "$DB"*
  ln -s "$T/tmpfs/n2.sqlite" "$DB"
  "$ROOT/scripts/stack" up pools > /dev/null
  # The workers open their files, on another event: a process that sold f9
  # here would keep a lease of f9's tickets in memory and sell the next ones
  # without a write (node_counter.h), so none might fail (0 of 300, twice).
  create_event f9w 1000
  http POST /api/events/f9w/reservations user_id=f9-warm
  # An empty WAL: the next write must take new space (a WAL with room left
  # from earlier writes would take it without the disk, and nothing fail).
  # (TRUNCATE answers busy, and leaves the WAL's space, while a worker holds
  # a read snapshot: tried again until the WAL is empty, at most 5 s.)
  for i in $(seq 1 50); do
    sqlite3 "$T/tmpfs/n2.sqlite" 'PRAGMA busy_timeout=2000; PRAGMA wal_checkpoint(TRUNCATE);' > /dev/null
    [ -s "$T/tmpfs/n2.sqlite-wal" ] || break
    sleep 0.1
  done
  check_eq "[f9] n2's WAL emptied before the disk is filled (bytes)" 0 "$(stat -c %s "$T/tmpfs/n2.sqlite-wal" 2>/dev/null || echo 0)"
  dd if=/dev/zero of="$T/tmpfs/fill" bs=1k 2>/dev/null
  avail=$(df --output=avail -k "$T/tmpfs" | tail -1 | tr -d ' ')
  check_eq "[f9] n2's disk is full (0 KB available)" 0 "$avail"
  for i in $(seq 1 300); do echo "POST /api/events/f9/reservations user_id=f9-full$i"; done | race 20 "$T/f9c"
  full_503=$(grep -c ' 503$' "$T/f9c/results")
  check "[f9] n2's disk full: its requests are 503 ($full_503 of 300)" test "$full_503" -ge 1
  check "[f9] the other nodes go on selling" test "$(grep -c ' 201$' "$T/f9c/results")" -ge 200
  check_eq "[f9] no other answer" 0 "$(awk '$2 != 201 && $2 != 503' "$T/f9c/results" | wc -l)"
  "$ROOT/scripts/stack" down pools > /dev/null
  umount "$T/tmpfs"
  rm -f "$DB"
else
  skip "[f9] disk full" "cannot mount a tmpfs here (needs root)"
fi

finish
