# shellcheck shell=bash
# shellcheck disable=SC2034 # STATUS, BODY, … are read by the test files
# tests/lib.sh — helpers for the integration tests (tests/integration/*.sh).
#
# start_stack [SERVICES]  starts a private stack (scripts/stack) in a fresh
#                         temporary var dir on free loopback ports; it is
#                         stopped and removed when the test file exits.
#                         No SERVICES: all, the supervised reconciler too; a
#                         test that runs the reconciler by hand lists its
#                         services without it (start_stack redis mysql pools nginx).
# start_cluster_stack [SERVICES]   the same with a Redis Cluster (3 + 3 nodes)
# ok NAME / not_ok NAME WHY / check NAME CMD... / check_eq NAME WANT GOT
#                          TAP-style results; finish prints the file's summary
# skip NAME WHY            a skipped test ("ok - NAME # SKIP WHY"); tests/run
#                          fails it unless the file has "# expect-skip: NAME"
# poll SECS CMD... / wait_until SECS WHAT CMD... / check_within SECS NAME CMD...
#                          wait for a condition instead of sleeping: silently;
#                          not ok if it never came; ok or not ok
# at_exit CMD              clean-up when the file exits (or is timed out)
# T                        the file's scratch directory (removed at exit)
# http METHOD PATH [DATA]  one request; sets $STATUS, $BODY
# token USER / tokens_for USER...   buyers' tokens from the stack's sign-in key
#                          (seckill-admin token); http, race and buy sign each
#                          request in as the user its user_id=U names (TOKEN=…
#                          overrides: a token, or "none")
# race PARALLEL OUTDIR < SPEC   the requests of SPEC at once (curl --parallel,
#                          scripts/lib.sh); buy and orders_of build on it
# reconcile / reconcile_bg / sql / create_event   the stack's programs
# pool_workers, kill_pool_workers, replaced, nginx_workers, reload_nginx
#                          processes, and faults proven by new pids
# sale_with / check_sale / only_answers   a sale under a fault, proven
#                          mid-sale, and the promises after it
# missing_in_redis, restored   what Redis lost, what the reconciler put back
# Every curl of the tests is bounded: the helpers pass --max-time, and curl's
# default config ($CURL_HOME/.curlrc, set below) gives the others (race's)
# a max-time of $CURL_MAX_TIME seconds.
set -uo pipefail
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export BUILD=${BUILD:-build}
PASSED=0
FAILED=0
SKIPPED=0
CURL_MAX_TIME=${CURL_MAX_TIME:-60}
CURL_HOME=$(mktemp -d /tmp/seckill-curl.XXXXXX)
export CURL_HOME
printf 'max-time = %s\n' "$CURL_MAX_TIME" > "$CURL_HOME/.curlrc"
# at_exit CMD: runs CMD (a string, eval'd) when the file exits, after those
# registered later (the stack stops last). Use it instead of trap ... EXIT.
# A TERM (tests/run's timeout) ends the file through this too. scripts/lib.sh,
# which start_stack sources, has the same at_exit and keeps these hooks.
AT_EXIT=()
at_exit() { AT_EXIT=("$1" "${AT_EXIT[@]}"); }
run_at_exit() { local c; for c in "${AT_EXIT[@]}"; do eval "$c" || true; done; }
trap run_at_exit EXIT
trap 'exit 143' TERM
# shellcheck disable=SC2016 # at_exit's commands expand when they run
at_exit 'rm -rf "$CURL_HOME"'
# T: the file's scratch directory, removed when it exits (KEEP_VAR=1 keeps it).
T=$(mktemp -d /tmp/seckill-t.XXXXXX)
T_LIB=$T  # removed too when a file sets T itself
# shellcheck disable=SC2016
at_exit '[ -n "${KEEP_VAR:-}" ] || rm -rf "$T" "$T_LIB"'

ok() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $1${2:+ # $2}"; }
# check NAME CMD...: passes when CMD succeeds.
check() { local name=$1; shift; if "$@" > /dev/null; then ok "$name"; else not_ok "$name" "failed: $*"; fi; }
# check_eq NAME WANT GOT
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "want '$2', got '$3'"; fi; }
skip() { SKIPPED=$((SKIPPED + 1)); echo "ok - $1 # SKIP $2"; }
finish() {
  echo "# $(basename "$0"): $PASSED passed, $FAILED failed$([ "$SKIPPED" -eq 0 ] || echo ", $SKIPPED skipped")"
  [ "$FAILED" -eq 0 ]
}

# poll SECS CMD...: retries CMD (output discarded) every 0.1 s until it
# succeeds (returns 0) or SECS (may be fractional) have passed (returns 1).
poll() {
  local secs=$1 end; shift
  end=$(awk -v s="$secs" -v n="$(date +%s%N)" 'BEGIN {printf "%d", n + s * 1e9}')
  while :; do
    "$@" > /dev/null 2>&1 && return 0
    [ "$(date +%s%N)" -lt "$end" ] || return 1
    sleep 0.1
  done
}
# wait_until SECS WHAT CMD...: poll; when the condition never comes, records
# "not ok - WHAT" (a test that waited for a condition relies on it) and
# returns 1. Unlike scripts/lib.sh's wait_for, it does not exit.
wait_until() {
  local secs=$1 what=$2; shift 2
  poll "$secs" "$@" && return 0
  not_ok "$what" "not within ${secs}s: $*"
  return 1
}
# check_within SECS NAME CMD...: a check that may take up to SECS to hold.
check_within() {
  local secs=$1 name=$2; shift 2
  if poll "$secs" "$@"; then ok "$name"; else not_ok "$name" "not within ${secs}s: $*"; fi
}

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))  # below the ephemeral range (32768-), where clients bind
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

start_stack() {
  # A test stack starts without the default event (/buy/ticket's) unless the
  # test sets SECKILL_DEFAULT_TICKETS (empty: the cluster config's size): its
  # events are its own.
  export SECKILL_DEFAULT_TICKETS=${SECKILL_DEFAULT_TICKETS-0}
  export SECKILL_VAR
  SECKILL_VAR=$(mktemp -d /tmp/seckill-test.XXXXXX)
  export SECKILL_PORT SECKILL_ADMIN_PORT SECKILL_MYSQL_PORT
  SECKILL_PORT=$(free_port); SECKILL_ADMIN_PORT=$(free_port); SECKILL_MYSQL_PORT=$(free_port)
  # shellcheck source-path=SCRIPTDIR source=../scripts/lib.sh
  . "$TESTS_DIR/../scripts/lib.sh"
  at_exit stop_stack
  "$ROOT/scripts/stack" up "$@" > "$SECKILL_VAR/stack-up.log" 2>&1 || {
    cat "$SECKILL_VAR/stack-up.log" >&2
    not_ok "stack starts" "see above"
    exit 1
  }
}

# start_cluster_stack [SERVICES]: start_stack with Redis as a cluster of 3
# masters and 3 replicas (SECKILL_REDIS_MODE=cluster, scripts/redis-cluster)
# on 6 free ports whose bus ports (+10000) are free too.
start_cluster_stack() {
  export SECKILL_REDIS_MODE=cluster SECKILL_REDIS_CLUSTER_PORT
  local p i busy
  while :; do
    p=$((20000 + RANDOM % 2000)); busy=0
    for ((i = 0; i < 6; i++)); do
      { (exec 3<>"/dev/tcp/127.0.0.1/$((p + i))") || (exec 3<>"/dev/tcp/127.0.0.1/$((p + i + 10000))"); } 2>/dev/null && busy=1
    done
    [ $busy = 1 ] || break
  done
  SECKILL_REDIS_CLUSTER_PORT=$p
  start_stack "$@"
}

stop_stack() {
  "$ROOT/scripts/stack" down > /dev/null 2>&1
  [ -n "${KEEP_VAR:-}" ] || rm -rf "$SECKILL_VAR"
}

admin() { "$BUILD/seckill-admin" "$@"; }
# create_event EVENT TICKETS [LIMIT [WINDOW [seckill-admin args...]]]: scripts/lib.sh's,
# sourced by start_stack.

# The identity helpers (token, tokens_for, auth_header: buyers' tokens from
# the stack's sign-in key) are scripts/lib.sh's, sourced by start_stack.

# http METHOD PATH [FORM-DATA]: sets STATUS, BODY and HEADERS. Signed in as
# the user_id of FORM-DATA or PATH (auth_header).
http() {
  local out auth
  auth_header "$2" "${3:-}"; auth=$REPLY
  out=$(${SECKILL_CLIENT_EXEC:-} curl -s -S -i --max-time "${HTTP_MAX_TIME:-30}" -X "$1" ${auth:+-H "$auth"} ${3:+--data "$3"} "$BASE_URL$2" 2>&1)
  STATUS=$(printf '%s' "$out" | head -1 | awk '{print $2}')
  HEADERS=$(printf '%s' "$out" | sed '/^\r$/q')
  BODY=$(printf '%s' "$out" | sed '1,/^\r$/d')
}


# reconciler_argv: the reconciler against the test stack, no lock file, in RECONCILER_ARGV.
reconciler_argv() {
  RECONCILER_ARGV=("$BUILD/seckill-reconciler" --redis "$REDIS_ADDR"
    --redis-password-file "$VAR/secrets/redis-reconciler.pass" --mysql-port "$MYSQL_PORT"
    --mysql-password-file "$VAR/secrets/mysql-reconciler.pass" --no-lock)
}
# reconcile [ARGS]: one reconciler run against the test stack.
reconcile() { reconciler_argv; "${RECONCILER_ARGV[@]}" "$@"; }
# reconcile_bg OUT [ARGS]: the same in the background, output to OUT; sets
# RECONCILER_PID to the reconciler's own pid (a backgrounded shell function
# would give the subshell's, and a kill would miss the reconciler).
reconcile_bg() {
  local out=$1; shift
  reconciler_argv
  "${RECONCILER_ARGV[@]}" "$@" > "$out" 2>&1 &
  RECONCILER_PID=$!
}
# sql QUERY: one value (or rows) from MariaDB, as root over the socket.
sql() { mysql_root seckill -N -e "$1"; }
# rows EVENT: MySQL's orders of EVENT; some_rows EVENT [N]: at least N (1) of them
rows() { sql "SELECT COUNT(*) FROM orders WHERE event_id='$1'"; }
some_rows() { [ "$(rows "$1")" -ge "${2:-1}" ]; }
# buy EVENT FIRST LAST [PARALLEL]: users uFIRST..uLAST try to reserve; OUTDIR=$T/buy-EVENT-FIRST
buy() {
  local dir=$T/buy-$1-$2
  for i in $(seq "$2" "$3"); do echo "POST /api/events/$1/reservations user_id=u$i"; done | race "${4:-100}" "$dir"
  echo "$dir"
}
# orders_of DIR: "ORDER_ID USER_ID" for each reservation a race won
orders_of() {
  grep ' 201$' "$1/results" | while read -r n _; do echo "$1/$n"; done | xargs -r cat | jq -r '"\(.order_id) \(.user_id)"'
}

# --- a reconciler run held mid-run (reconciler_fault, redis_cluster_reconcilers tests)
# A run moves thousands of rows in well under a second, too fast to be caught
# mid-run by polling. So the test stops runs mid-run itself: hold_lock EVENT
# FROM opens a root session that holds InnoDB's lock on the gap around one
# order id in every hundred of EVENT's stream from entry FROM on (between two
# rows of a pseudo-event test-lock), so a run with --batch 100 writes the
# batches before FROM, then waits in the middle of the next, until
# release_lock (which also deletes the test-lock rows).
hold_lock() {
  local ev=$1 from=$2 ids x values=() selects=()
  ids=$(redis_cli xrange "ev:{$ev}:log" - + | grep -x -A1 o | grep -vx -e o -e -- | sed -n "$from~100p")
  [ -n "$ids" ] || { not_ok "[$ev] the stream names the orders to lock"; return 1; }
  for x in $ids; do
    values+=("('${x%?}', 'test-lock', 'x', 'x', 'reserved', NOW(3), NOW(3))" "('$x~', 'test-lock', 'x', 'x', 'reserved', NOW(3), NOW(3))")
    selects+=("SELECT COUNT(*) FROM orders WHERE order_id > '${x%?}' AND order_id < '$x~' FOR UPDATE;")
  done
  sql "INSERT INTO orders (order_id, event_id, user_id, node, status, reserved_at, expires_at) VALUES $(IFS=,; echo "${values[*]}")"
  rm -f "$T/lock.in"; mkfifo "$T/lock.in"
  mysql_root -n -N seckill < "$T/lock.in" > "$T/lock.out" 2>&1 &
  LOCKER=$!
  exec 8> "$T/lock.in"
  printf '%s\n' "BEGIN;" "${selects[@]}" "SELECT 'locked';" >&8
  wait_until 10 "[$ev] the test holds its locks" grep -qx locked "$T/lock.out"
}
# (a subshell: the session is gone when MariaDB was killed, and a write to
# its pipe would SIGPIPE the test)
release_lock() {
  ( echo "COMMIT;" >&8 ) 2>/dev/null; exec 8>&-; wait "$LOCKER" 2>/dev/null
  sql "DELETE FROM orders WHERE event_id = 'test-lock'"
}
# waiting_runs N EVENT: at least N transactions wait on a lock, with EVENT's rows landing
lock_waits() { sql "SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'"; }
waiting_runs() { [ "$(lock_waits)" -ge "$1" ] && some_rows "$2"; }

# --- processes ---------------------------------------------------------------
# children PID: its child pids, sorted, on one line
children() { pgrep -P "$1" | sort -n | tr '\n' ' '; }
# pool_workers NODE: the worker pids of pool NODE (multiwatch's children)
pool_workers() { children "$(cat "$VAR/run/pool-$1.pid")"; }
# replaced OLD NEW: true when NEW lists as many pids as OLD and shares none with it
replaced() {
  local old=$1 new=$2 p
  [ "$(wc -w <<< "$new")" -eq "$(wc -w <<< "$old")" ] || return 1
  for p in $old; do [[ " $new " != *" $p "* ]] || return 1; done
}
# kill_pool_workers NODE: SIGKILLs pool NODE's workers and waits (10 s) until
# multiwatch has started as many new ones; returns 1 (with a not ok) if not.
kill_pool_workers() {
  local node=$1 old
  old=$(pool_workers "$node")
  [ -n "$old" ] || { not_ok "pool $node has workers to kill"; return 1; }
  # shellcheck disable=SC2086 # a list of pids
  kill -KILL $old || { not_ok "SIGKILL pool $node's workers ($old)"; return 1; }
  # shellcheck disable=SC2016 # expanded by eval, in wait_until
  wait_until 10 "multiwatch respawned pool $node's workers" eval 'replaced "$old" "$(pool_workers "$node")"'
}
# nginx_workers: the nginx master's children
nginx_workers() { children "$(cat "$VAR/run/nginx.pid")"; }
# reload_nginx [CLUSTER]: scripts/stack reload (with the cluster config
# CLUSTER), then waits until every old nginx worker has gone and new ones
# serve: a HUP only asks for the reload.
reload_nginx() {
  local old
  old=$(nginx_workers)
  SECKILL_CLUSTER=${1:-$CLUSTER} "$ROOT/scripts/stack" reload > /dev/null || { not_ok "nginx reloads"; return 1; }
  # shellcheck disable=SC2016 # expanded by eval, in wait_until
  wait_until 10 "nginx reloaded (its old workers gone)" eval 'replaced "$old" "$(nginx_workers)"'
}
# soldout_flag EVENT: true when nginx's sold-out flag of EVENT is raised
soldout_flag() { [ -f "$VAR/run/soldout/$1" ]; }

# --- a sale under a fault (worker_kill, nginx_reload, script_flush tests) -----
# sold EVENT: Redis's count of tickets held
sold() { redis_cli hget "ev:{$1}" sold; }
sold_at_least() { [ "$(sold "$1")" -ge "$2" ]; }
# sale_with EVENT TICKETS USERS FAULT...: USERS users race for the event (50
# at once); once a tenth of the tickets are sold, FAULT runs (a quick action:
# a kill, a reload, a flush; it must exit 0). Checks that the fault came
# mid-sale: tickets were left and the clients were still sending when it
# had run, and tickets were sold after it. Then new users keep coming until
# the event is sold out. Leaves all answers in $T/EVENT/all, the order ids
# clients were told of in $T/EVENT/acked (201s and 429s) and those of the
# 201s in $T/EVENT/acked201; FAULT_SOLD is what was sold when the fault had run.
sale_with() {
  local ev=$1 tickets=$2 users=$3 load rc running i; shift 3
  create_event "$ev" "$tickets"
  mkdir -p "$T/$ev"
  for i in $(seq 1 "$users"); do echo "POST /api/events/$ev/reservations user_id=$ev-u$i"; done > "$T/$ev/w1.spec"
  race 50 "$T/$ev/w1" < "$T/$ev/w1.spec" &
  load=$!
  wait_until 30 "[$ev] the sale started (a tenth of the tickets sold)" sold_at_least "$ev" $((tickets / 10))
  "$@"; rc=$?
  FAULT_SOLD=$(sold "$ev")
  running=no; proc_alive "$load" && running=yes
  if [ "$rc" -eq 0 ] && [ "$FAULT_SOLD" -lt "$tickets" ] && [ "$running" = yes ]; then
    ok "[$ev] the fault ($1) came mid-sale: $FAULT_SOLD of $tickets sold, the clients still sending"
  else not_ok "[$ev] the fault ($1) came mid-sale" "exit $rc, $FAULT_SOLD of $tickets sold, clients still sending: $running"; fi
  wait "$load"
  local wave=2
  while [ "$(sold "$ev")" -lt "$tickets" ] && [ $wave -le 5 ]; do
    for i in $(seq 1 "$tickets"); do echo "POST /api/events/$ev/reservations user_id=$ev-w$wave-$i"; done | race 50 "$T/$ev/w$wave"
    wave=$((wave + 1))
  done
  check "[$ev] the sale went on after the fault ($FAULT_SOLD, then $(sold "$ev") sold)" test "$(sold "$ev")" -gt "$FAULT_SOLD"
  cat "$T/$ev"/w*/results > "$T/$ev/all"
  find "$T/$ev" -path "$T/$ev/w*/[0-9]*" -type f -print0 | xargs -0 -r cat |
    grep -o '"order_id":"[^"]*"' | cut -d'"' -f4 > "$T/$ev/acked" || true
  local w
  for w in "$T/$ev"/w*/; do
    awk -v d="$w" '$2 == 201 {print d $1}' "$w/results" | xargs -r cat | grep -o '"order_id":"[^"]*"' | cut -d'"' -f4
  done > "$T/$ev/acked201"
}

# check_sale EVENT TICKETS: the promises after a fault (needs MariaDB).
check_sale() {
  local ev=$1 tickets=$2 held missing ids201
  reconcile --once > "$T/$ev/reconcile.out" 2>&1 || reconcile --once >> "$T/$ev/reconcile.out" 2>&1 ||
    not_ok "[$ev] the reconciler runs after the fault" "$(tail -2 "$T/$ev/reconcile.out")"
  held=$(sql "SELECT COUNT(*) FROM orders WHERE event_id='$ev' AND status IN ('reserved','paid')")
  check_eq "[$ev] every ticket sold, none twice: Redis sold = $tickets" "$tickets" "$(sold "$ev")"
  check_eq "[$ev] MySQL holds exactly the tickets sold" "$tickets" "$held"
  # Every 201 and every 429's order id must be a real order, in MySQL.
  sort -u "$T/$ev/acked" > "$T/$ev/acked.u"
  sql "SELECT order_id FROM orders WHERE event_id='$ev' AND status IN ('reserved','paid')" | sort > "$T/$ev/mysql"
  missing=$(comm -23 "$T/$ev/acked.u" "$T/$ev/mysql" | wc -l)
  check "[$ev] clients were told of orders ($(wc -l < "$T/$ev/acked.u"))" test -s "$T/$ev/acked.u"
  check_eq "[$ev] every order a client was told of exists in MySQL" 0 "$missing"
  ids201=$(grep -c ' 201$' "$T/$ev/all")
  check_eq "[$ev] one distinct order per 201" "$ids201" "$(sort -u "$T/$ev/acked201" | wc -l)"
}

# answers EVENT: "CODE×N " for each status code of the sale
answers() { awk '{print $2}' "$T/$1/all" | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}'; }
# only_answers EVENT CODES...: every answer is one of CODES
only_answers() {
  local ev=$1 re bad; shift
  re=$(printf '|%s' "$@"); re=${re:1}
  bad=$(awk -v re="^($re)\$" '$2 !~ re' "$T/$ev/all" | wc -l)
  check_eq "[$ev] every answer was one of $* ($(answers "$ev"))" 0 "$bad"
}

# missing_in_redis EVENT IDS-FILE: how many of the order ids in IDS-FILE
# (one a line) have no hash left in Redis. Prints "error: …" instead when
# Redis does not answer every id with 0 or 1 (a failed redis-cli is not
# "nothing lost").
missing_in_redis() {
  local n replies
  n=$(grep -c . "$2")
  replies=$(sed "s/^/EXISTS ev:{$1}:o:/" "$2" | redis_cli 2>&1)
  if [ "$(grep -cx '[01]' <<< "$replies")" -ne "$n" ]; then
    echo "error: $n ids, Redis answered: $(grep -vx '[01]' <<< "$replies" | head -1)"; return 1
  fi
  grep -cx 0 <<< "$replies" || true
}
# restored OUTPUT: the count of "restored N orders lost by Redis" in a
# reconciler run's output (0 when it restored none)
restored() { local n; n=$(sed -n 's/.*restored \([0-9]*\) orders lost by Redis.*/\1/p' <<< "$1"); echo "${n:-0}"; }

# --- the topology (scripts/topology; tests/integration/topology_*.sh) --------------------
# start_topology: a topology of the file's own (namespaces skt-t<N>-*, state in
# a fresh temporary var dir), down and removed when the file exits. Without
# root it skips the whole file (the file declares "# expect-skip: needs root").
# Then http, race, buy and sale_with go from its client host through the VIP;
# sold, redis_cli and create_event reach its Redis; sql, reconcile and
# report_on run on the MariaDB primary (as it is after a promotion);
# on HOST CMD... runs CMD on a host.
start_topology() {
  if [ "$(id -u)" != 0 ]; then
    skip "the topology" "needs root (network namespaces)"; finish; exit 0
  fi
  export SECKILL_VAR SECKILL_TOPOLOGY
  SECKILL_VAR=$(mktemp -d /tmp/seckill-topo.XXXXXX)
  SECKILL_TOPOLOGY=skt-t$(( RANDOM % 10000 ))
  # shellcheck source-path=SCRIPTDIR source=../scripts/lib.sh
  . "$TESTS_DIR/../scripts/lib.sh"
  at_exit stop_topology
  "$ROOT/scripts/topology" up > "$SECKILL_VAR/topology-up.log" 2>&1 || {
    cat "$SECKILL_VAR/topology-up.log" >&2
    not_ok "the topology starts" "see above"
    exit 1
  }
  topology_env
}
# topology_env: the helpers' addresses from scripts/topology env (again after a promotion).
topology_env() {
  eval "$("$ROOT/scripts/topology" env)"
  export SECKILL_CLIENT_EXEC="ip netns exec $TOPOLOGY-client"
  BASE_URL=$VIP_URL
  VAR=$TOPOLOGY_VAR/redis REDIS_SOCK=$TOPOLOGY_VAR/redis/run/redis.sock REDIS_ADDR=unix:$TOPOLOGY_VAR/redis/run/redis.sock
  MYSQL_SOCK=$TOPOLOGY_VAR/$PRIMARY/run/mysqld.sock
}
stop_topology() {
  "$ROOT/scripts/topology" down > "$SECKILL_VAR/topology-down.log" 2>&1 || cat "$SECKILL_VAR/topology-down.log" >&2
  [ -n "${KEEP_VAR:-}" ] || rm -rf "$SECKILL_VAR"
}
on() { "$ROOT/scripts/topology" run "$@"; }
# Replaces tests/lib.sh's reconcile when the topology runs: on the primary.
topology_reconcile() { on primary "$ROOT/scripts/reconcile" --no-lock "$@"; }
# front_requests HOST: requests HOST's nginx has taken (its stub_status).
front_requests() { on "$1" curl -s --max-time 2 "http://127.0.0.1:8081/nginx_status" | awk 'NR == 3 {print $3}'; }
# balancer_sees LB HOST STATE: HAProxy on LB has HOST in state STATE (UP, DOWN).
balancer_sees() {
  [ "$(on "$1" curl -s --max-time 3 "http://127.0.0.1:8404/;csv" | awk -F, -v h="$2" '$1 == "fronts" && $2 == h {print $18}')" = "$3" ]
}
vip_on() { ip -n "$TOPOLOGY-$1" -4 addr show dev skt0 | grep -q " $VIP/"; }
