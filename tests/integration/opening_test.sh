#!/usr/bin/env bash
# opening_test — an event's opening time (create-event --opens-at), against
# the real stack, with a second front (a worker of its own flag directory,
# as on another host: fcgi/opening_flag.h):
#   - before the time, every front's not-open flag is up, and reservations
#     answer 425 {"error":"not_open","opens_at"} from nginx itself: no X-Node,
#     and the workers' metrics count none of a flood of them;
#   - GET /api/events/E shows opens_at (and closes_at);
#   - at the time, each front's flag goes within 0.2 s of opens_at (Redis's
#     clock), and the first 201 comes within 0.2 s; nothing is reserved
#     before opens_at by Redis's clock;
#   - the watching worker SIGKILLed a second before an opening: another
#     process takes over at once, and the front still opens within 0.2 s;
#   - a front whose flag is missing still never sells early: the worker
#     answers 425 from reserve.lua (X-Node), counted as not_open;
#   - after closes_at: 410 {"error":"closed","closes_at"} (docs/api.md);
#   - MySQL keeps opens_at and closes_at, and --rebuild-redis puts them back:
#     the rebuilt event is still not open, its flag up again.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
FLAGS=$VAR/run/soldout/.opening
redis_ms() { redis_cli time | paste -sd' ' | awk '{printf "%d", $1 * 1000 + int($2 / 1000)}'; }
secs() { awk -v ms="$1" 'BEGIN {printf "%.3f", ms / 1000}'; }
# reserve_requests: the workers' count of reservations answered, all outcomes
reserve_requests() {
  curl -s --max-time 5 "$ADMIN_URL/metrics" |
    awk '/^seckill_requests_total\{/ && /endpoint="reserve"/ {n += $2} END {printf "%d", n}'
}
flag_up() { [ -f "$1/$2" ]; }

# --- a second front: one worker with a flag directory of its own -----------------
FRONT2=$T/front2
mkdir -p "$FRONT2/soldout"
spawn-fcgi -s "$FRONT2/sock" -M 0600 -n -- "$BUILD/seckill-worker" --node n1 --cluster "$CLUSTER" \
  --redis "unix:$REDIS_SOCK" --redis-password-file "$VAR/secrets/redis-worker.pass" --sqlite "$FRONT2/n1.sqlite" \
  --soldout-dir "$FRONT2/soldout" --log "$FRONT2/worker.log" > "$FRONT2/spawn.log" 2>&1 &
at_exit "kill $! 2> /dev/null"
wait_until 10 "the second front's worker serves" grep -q serving "$FRONT2/worker.log"

# --- before the opening ----------------------------------------------------------------
opens=$(( $(redis_ms) + 6000 ))
create_event op 5 1 600 --opens-at "$(secs "$opens")"
check_within 3 "the not-open flag is up on the stack's front" flag_up "$FLAGS" op
check_within 3 "and on the second front" flag_up "$FRONT2/soldout/.opening" op
http GET /api/events/op
check_eq "GET /api/events/op shows opens_at, no closes_at" "200 $(secs "$opens") null" \
  "$STATUS $(jq -r '"\(.opens_at * 1000 | round / 1000) \(.closes_at)"' <<< "$BODY" | awk '{printf "%.3f %s", $1, $2}')"
before=$(reserve_requests)
http POST /api/events/op/reservations user_id=early
check_eq "a reservation before the time: 425 not_open with opens_at" "425 not_open $(secs "$opens")" \
  "$STATUS $(jq -r .error <<< "$BODY") $(jq -r '.opens_at' <<< "$BODY" | awk '{printf "%.3f", $1}')"
check "answered by nginx: no X-Node" test -z "$(grep -i '^x-node' <<< "$HEADERS")"
check "as JSON" grep -qi '^content-type: application/json' <<< "$HEADERS"
d=$(buy op 1 300 50)
check_eq "a flood of 300 before the time: all 425" "300 425" "$(awk '{print $2}' "$d/results" | sort | uniq -c | awk '{print $1, $2}')"
check_eq "the workers counted none of them" "$before" "$(reserve_requests)"

# --- the opening instant: every front within 0.2 s -------------------------------------
# Polled without forking ($EPOCHREALTIME): when each front's flag goes.
watch_flags() {
  local f1="" f2="" end=$(( opens / 1000 + 5 ))
  while [ -z "$f1" ] || [ -z "$f2" ]; do
    [ -n "$f1" ] || [ -e "$FLAGS/op" ] || f1=$EPOCHREALTIME
    [ -n "$f2" ] || [ -e "$FRONT2/soldout/.opening/op" ] || f2=$EPOCHREALTIME
    [ "${EPOCHREALTIME%.*}" -lt "$end" ] || break
    sleep 0.002
  done
  echo "${f1:-none} ${f2:-none}"
}
# Reservations one after the other from 0.5 s before the time, until a 201.
probe() {
  local i=0 t code
  tokens_for $(seq -f 'p%g' 1 2000)  # signed in beforehand: the loop only sends
  while [ "$(redis_ms)" -lt $((opens - 500)) ]; do sleep 0.01; done
  while [ $i -lt 2000 ]; do
    i=$((i + 1)); t=$EPOCHREALTIME
    code=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' -X POST \
      -H "Authorization: Bearer ${TOKENS[p$i]}" "$BASE_URL/api/events/op/reservations")
    echo "$t $code"
    [ "$code" = 201 ] && break
  done
}
watch_flags > "$T/flags" &
watcher=$!
probe > "$T/probe"
wait "$watcher"
read -r gone1 gone2 < "$T/flags"
# ms_after_ms T OPENS_MS: T (Unix seconds, or "none") in ms after OPENS_MS
ms_after_ms() { awk -v t="$1" -v o="$2" 'BEGIN {if (t == "none") print "none"; else printf "%d", t * 1000 - o}'; }
ms_after() { ms_after_ms "$1" "$opens"; }
late1=$(ms_after "$gone1"); late2=$(ms_after "$gone2")
check "the stack's front lowered its flag within 0.2 s of opens_at (${late1} ms after)" \
  test "$late1" != none -a "${late1#-}" -lt 200
check "the second front lowered its flag within 0.2 s of opens_at (${late2} ms after)" \
  test "$late2" != none -a "${late2#-}" -lt 200
first=$(awk '$2 == 201 {print $1; exit}' "$T/probe")
late=$(ms_after "${first:-none}")
check "a 201 for a try started within 0.2 s of opens_at (${late} ms after; $(wc -l < "$T/probe") tries, one at a time)" \
  test "$late" != none -a "$late" -lt 200
check "the tries before it were 425s" test "$(awk '$2 != 201 && $2 != 425' "$T/probe" | wc -l)" -eq 0
earliest=$(redis_cli keys 'ev:{op}:o:*' | while read -r k; do redis_cli hget "$k" reserved_at; done | sort -n | head -1)
check "the first ticket reserved within 0.2 s of opens_at by Redis's clock (+$((earliest - opens)) ms)" \
  test "$((earliest - opens))" -lt 200
check "and none before it" test "$earliest" -ge "$opens"
for f in "$VAR"/log/worker-*.log "$FRONT2/worker.log"; do
  line=$(grep -h 'event op opened' "$f" || true)
  [ -n "$line" ] || continue
  lowered=$(sed -E 's/.*lowered (-?[0-9]+) ms after.*/\1/' <<< "$line")
  check "the watcher of ${f#"$T"/} lowered it $lowered ms after opens_at (by Redis's clock)" test "$lowered" -lt 200
done
d=$(buy op 1000 1010 10)
check_eq "then the sale goes on: the 5 tickets sold" 5 "$(redis_cli hget 'ev:{op}' sold)"

# --- the watching worker killed a second before an opening ---------------------------
lock_holder() {  # the pid holding the flock of the host's .opening.watcher (not a waiter: "->")
  local inode
  inode=$(stat -c %i "$VAR/run/soldout/.opening.watcher")
  awk -v i="$inode" '$2 == "FLOCK" { split($6, a, ":"); if (a[3] == i) print $5 }' /proc/locks | head -1
}
opens2=$(( $(redis_ms) + 4000 ))
create_event op2 5 1 600 --opens-at "$(secs "$opens2")"
check_within 3 "op2: the not-open flag is up" flag_up "$FLAGS" op2
holder=$(lock_holder)
check "a worker holds the opening watcher's lock (pid ${holder:-none})" test -n "$holder"
while [ "$(redis_ms)" -lt $((opens2 - 1000)) ]; do sleep 0.05; done
[ -n "$holder" ] && kill -KILL "$holder"
gone=none
while [ "${EPOCHREALTIME%.*}" -lt $((opens2 / 1000 + 5)) ]; do
  [ -e "$FLAGS/op2" ] || { gone=$EPOCHREALTIME; break; }
  sleep 0.002
done
late=$(ms_after_ms "$gone" "$opens2")
check "killed 1 s before: another process takes over and lowers the flag within 0.2 s of opens_at (${late} ms after)" \
  test "$late" != none -a "${late#-}" -lt 200
new_holder=$(lock_holder)
check "the new holder is another process (pid ${new_holder:-none})" test -n "$new_holder" -a "$new_holder" != "$holder"

# --- a front whose flag is missing -----------------------------------------------------
create_event later 5 1 600 --opens-at "$(secs $(( $(redis_ms) + 3600000 )))"
check_within 3 "an event opening in an hour: its flag is up" flag_up "$FLAGS" later
nlo() {
  curl -s --max-time 5 "$ADMIN_URL/metrics" |
    awk '/^seckill_requests_total\{/ && /endpoint="reserve"/ && /outcome="not_open"/ {n += $2} END {printf "%d", n}'
}
n_before=$(nlo)
for _ in 1 2 3; do  # the watcher may raise it again in between: try again
  rm -f "$FLAGS/later"
  http POST /api/events/later/reservations user_id=sneaky
  grep -qi '^x-node' <<< "$HEADERS" && break
done
check_eq "the flag removed: the worker refuses by Redis's clock, 425 not_open" "425 not_open" "$STATUS $(jq -r .error <<< "$BODY")"
check "answered by a worker (X-Node)" grep -qi '^x-node' <<< "$HEADERS"
check "counted as not_open" test "$(nlo)" -gt "$n_before"
check_eq "nothing sold" 0 "$(redis_cli hget 'ev:{later}' sold)"
check_within 3 "the watcher raises the flag again" flag_up "$FLAGS" later

# --- closing ---------------------------------------------------------------------------
closes=$(( $(redis_ms) + 1500 ))
create_event cl 5 1 600 --closes-at "$(secs "$closes")"
http POST /api/events/cl/reservations user_id=c1
check_eq "before closes_at: 201" 201 "$STATUS"
http GET /api/events/cl
check "GET shows closes_at" test "$(jq -r '.closes_at * 1000 | round' <<< "$BODY")" = "$closes"
past_closing() { [ "$(redis_ms)" -ge "$closes" ]; }
poll 5 past_closing
http POST /api/events/cl/reservations user_id=c2
check_eq "after closes_at: 410 closed with closes_at" "410 closed $closes" \
  "$STATUS $(jq -r '"\(.error) \(.closes_at * 1000 | round)"' <<< "$BODY")"

# --- MySQL keeps the times, and the rebuild puts them back ------------------------------
reconcile --once > "$T/reconcile.out" 2>&1 || not_ok "the reconciler runs" "$(tail -2 "$T/reconcile.out")"
later_ms=$(redis_cli hget 'ev:{later}' opens_at)
check_eq "MySQL holds opens_at (later) and closes_at (cl)" "$later_ms $closes" \
  "$(sql "SELECT CAST(UNIX_TIMESTAMP(opens_at) * 1000 AS SIGNED) FROM events WHERE event_id='later'") $(sql "SELECT CAST(UNIX_TIMESTAMP(closes_at) * 1000 AS SIGNED) FROM events WHERE event_id='cl'")"
redis_cli flushall > /dev/null
flag_down() { ! flag_up "$@"; }
check_within 3 "Redis flushed: the flag goes with its listing" flag_down "$FLAGS" later
reconcile --rebuild-redis > "$T/rebuild.out" 2>&1
check "--rebuild-redis rebuilds the events" grep -q '^rebuild later:' "$T/rebuild.out"
check_eq "the rebuilt events keep opens_at and closes_at" "$later_ms $closes" \
  "$(redis_cli hget 'ev:{later}' opens_at) $(redis_cli hget 'ev:{cl}' closes_at)"
check_within 3 "the rebuilt event's flag is up again" flag_up "$FLAGS" later
http POST /api/events/later/reservations user_id=after-rebuild
check_eq "and nginx answers 425 not_open" "425 not_open" "$STATUS $(jq -r .error <<< "$BODY")"
finish
