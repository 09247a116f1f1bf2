# tests/lib.sh — helpers for the integration tests (tests/integration/*.sh).
#
# start_stack [SERVICES]  starts a private stack (scripts/stack) in a fresh
#                         temporary var dir on free loopback ports; it is
#                         stopped and removed when the test file exits.
# ok NAME / not_ok NAME WHY / check NAME CMD...   TAP-style results
# http METHOD PATH [DATA]  one request; sets $STATUS, $BODY
# race PARALLEL OUTDIR < SPEC   the requests of SPEC at once (curl --parallel)
set -uo pipefail
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export BUILD=${BUILD:-build}
PASSED=0
FAILED=0

ok() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $1${2:+ # $2}"; }
# check NAME CMD...: passes when CMD succeeds.
check() { local name=$1; shift; if "$@" > /dev/null; then ok "$name"; else not_ok "$name" "failed: $*"; fi; }
# check_eq NAME WANT GOT
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "want '$2', got '$3'"; fi; }
finish() { echo "# $(basename "$0"): $PASSED passed, $FAILED failed"; [ "$FAILED" -eq 0 ]; }

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))  # below the ephemeral range (32768-), where clients bind
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

start_stack() {
  export SECKILL_VAR
  SECKILL_VAR=$(mktemp -d /tmp/seckill-test.XXXXXX)
  export SECKILL_PORT SECKILL_ADMIN_PORT SECKILL_MYSQL_PORT
  SECKILL_PORT=$(free_port); SECKILL_ADMIN_PORT=$(free_port); SECKILL_MYSQL_PORT=$(free_port)
  . "$TESTS_DIR/../scripts/lib.sh"
  trap stop_stack EXIT
  "$ROOT/scripts/stack" up "$@" > "$SECKILL_VAR/stack-up.log" 2>&1 || {
    cat "$SECKILL_VAR/stack-up.log" >&2
    not_ok "stack starts" "see above"
    exit 1
  }
}

stop_stack() {
  "$ROOT/scripts/stack" down > /dev/null 2>&1
  [ -n "${KEEP_VAR:-}" ] || rm -rf "$SECKILL_VAR"
}

admin() { "$BUILD/seckill-admin" "$@"; }
# create_event EVENT TICKETS [LIMIT] [WINDOW]
create_event() {
  admin create-event --event "$1" --tickets "$2" --limit "${3:-1}" --window "${4:-600}" \
    --redis "unix:$REDIS_SOCK" --redis-password-file "$VAR/secrets/redis.pass" \
    --cluster "$CLUSTER" --sqlite-dir "$VAR/nodes" > /dev/null
}

# http METHOD PATH [FORM-DATA]: sets STATUS, BODY and HEADERS.
http() {
  local out
  out=$(curl -s -S -i -X "$1" ${3:+--data "$3"} "$BASE_URL$2" 2>&1)
  STATUS=$(printf '%s' "$out" | head -1 | awk '{print $2}')
  HEADERS=$(printf '%s' "$out" | sed '/^\r$/q')
  BODY=$(printf '%s' "$out" | sed '1,/^\r$/d')
}


# reconciler_argv: the reconciler against the test stack, no lock file, in RECONCILER_ARGV.
reconciler_argv() {
  RECONCILER_ARGV=("$BUILD/seckill-reconciler" --redis "unix:$REDIS_SOCK"
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
# buy EVENT FIRST LAST [PARALLEL]: users uFIRST..uLAST try to reserve; OUTDIR=$T/buy-EVENT-FIRST
buy() {
  local dir=$T/buy-$1-$2
  for i in $(seq "$2" "$3"); do echo "POST /api/events/$1/reservations user_id=u$i"; done | race "${4:-100}" "$dir"
  echo "$dir"
}
# orders_of DIR: "ORDER_ID USER_ID" for each reservation a race won
orders_of() {
  grep ' 201$' "$1/results" | while read -r n s; do echo "$1/$n"; done | xargs -r cat | jq -r '"\(.order_id) \(.user_id)"'
}
