# shellcheck shell=bash
# lib.sh — paths and helpers shared by the scripts and the tests. Source it;
# sourcing has no side effects (it creates nothing). It sets:
#   ROOT    the checkout;  BUILD  its build dir (build/ unless $BUILD)
#   VAR     the local stack's state (var/ unless $SECKILL_VAR; made by scripts/stack)
#   PORT, ADMIN_PORT, MYSQL_PORT   loopback ports (SECKILL_PORT, …)
#   CLUSTER the cluster config (etc/cluster.conf unless $SECKILL_CLUSTER)
#   REDIS_MODE  single (one Redis on a unix socket, the default) or cluster
#               (SECKILL_REDIS_MODE: scripts/redis-cluster's 3 masters + 3 replicas
#               on SECKILL_REDIS_CLUSTER_PORT..+5, 7001 by default)
#   REDIS_ADDR  the address the programs' --redis takes for that mode
# and defines, among others:
#   print_help / usage_error REASON   a script's --help (its opening comment) and bad usage (exit 2)
#   no_args "$@", need_count NAME VALUE [MIN]   the checks of a script's arguments and settings
#   at_exit FUNCTION                  run FUNCTION when the script exits (also on INT and TERM)
#   fresh_stack [SERVICES...]         wipe $VAR and start a stack of its own there, stopped at exit
#   create_event EVENT TICKETS [LIMIT [WINDOW [ARGS...]]]   put an event on sale
#   redis_cli, mysql_root, mysql_as   the clients, with the stack's secrets
#   token USER, tokens_for USER..., auth_header PATH DATA   buyers' tokens (race signs in with them)
# The variables are used by the scripts that source this file:
# shellcheck disable=SC2034
{
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
VAR=$(realpath -ms "${SECKILL_VAR:-$ROOT/var}")
PORT=${SECKILL_PORT:-8080}
ADMIN_PORT=${SECKILL_ADMIN_PORT:-8081}
MYSQL_PORT=${SECKILL_MYSQL_PORT:-3307}
CLUSTER=${SECKILL_CLUSTER:-$ROOT/etc/cluster.conf}
APPENDFSYNC=${SECKILL_APPENDFSYNC:-everysec}
REDIS_SOCK=$VAR/run/redis.sock
# Where the pools and the reconciler reach Redis: its socket, or on another
# host (scripts/topology) host:port.
REDIS_ADDR=${SECKILL_REDIS:-unix:$REDIS_SOCK}
MYSQL_SOCK=$VAR/run/mysqld.sock
REDIS_MODE=${SECKILL_REDIS_MODE:-single}
REDIS_CLUSTER_PORT=${SECKILL_REDIS_CLUSTER_PORT:-7001}
if [ "$REDIS_MODE" = cluster ]; then
  REDIS_ADDR=cluster:127.0.0.1:$REDIS_CLUSTER_PORT,127.0.0.1:$((REDIS_CLUSTER_PORT + 1)),127.0.0.1:$((REDIS_CLUSTER_PORT + 2))
fi
BASE_URL=http://127.0.0.1:$PORT
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT
}

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
say() { echo "==> $*"; }

# --- Usage ----------------------------------------------------------------------
# print_help: prints the calling script's opening comment (the lines after the
# shebang that start with #), which is its usage text.
print_help() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; }
# usage_error REASON: REASON on stderr in one line, and exit 2 (bad usage).
usage_error() { echo "$(basename "$0"): $* (see --help)" >&2; exit 2; }
# no_args "$@": for a script that takes no arguments: -h or --help prints the
# usage and exits 0; any other argument is bad usage.
no_args() {
  case ${1:-} in
    "") ;;
    -h|--help) print_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
}
# need_count NAME VALUE [MIN]: VALUE must be a whole number, at least MIN (1),
# or the script stops with bad usage naming NAME.
need_count() {
  if [[ ! $2 =~ ^[0-9]{1,15}$ ]] || [ "$2" -lt "${3:-1}" ]; then
    usage_error "$1 must be a whole number of at least ${3:-1}, not '$2'"
  fi
}

# --- Exit hooks -------------------------------------------------------------------
# at_exit CMD: runs CMD (a function name, or a command string, eval'd) when
# the script exits, before those registered earlier (a load stops before its
# stack). INT and TERM exit too, so the hooks run when the script is
# interrupted or killed by a timeout. tests/lib.sh registers hooks the same
# way before it sources this file: they are kept.
[ -n "${AT_EXIT+set}" ] || AT_EXIT=()
at_exit() {
  AT_EXIT=("$1" "${AT_EXIT[@]}")
  trap run_at_exit EXIT; trap 'exit 130' INT; trap 'exit 143' TERM
}
run_at_exit() { local c; for c in "${AT_EXIT[@]}"; do eval "$c" || true; done; }

# pid_alive FILE: true when FILE holds the pid of a live process (a zombie,
# killed but not yet reaped, is not alive).
pid_alive() { [ -s "$1" ] && proc_alive "$(cat "$1")"; }
proc_alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$state" != Z ]
}

# port_taken PORT: true when something listens on 127.0.0.1:PORT.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for SECONDS WHAT CMD...: retries CMD every 0.1 s; dies after SECONDS.
wait_for() {
  local secs=$1 what=$2; shift 2
  local i
  for ((i = 0; i < secs * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "timed out after ${secs}s waiting for $what"
}

# stop_pid FILE NAME [SECONDS]: TERM the process in FILE, wait, then KILL.
stop_pid() {
  local file=$1 name=$2 secs=${3:-10} pid i
  pid_alive "$file" || { rm -f "$file"; return 0; }
  pid=$(cat "$file")
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < secs * 10; i++)); do proc_alive "$pid" || break; sleep 0.1; done
  if proc_alive "$pid"; then
    echo "$name (pid $pid) did not stop in ${secs}s: killing it" >&2
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$file"
}

# Secrets go through the environment or a 0600 file, never the command line
# (which any local user can read in /proc).
# redis_cli reaches Redis where the pools do (REDIS_ADDR: its socket, or
# host:port). In cluster mode it follows redirects (-c) from the first node
# that answers PING; redis_cli_node PORT talks to one node of the cluster.
redis_cli() {
  if [ "$REDIS_MODE" != cluster ]; then
    local where=(-s "$REDIS_SOCK")
    case $REDIS_ADDR in unix:*) ;; *) where=(-h "${REDIS_ADDR%:*}" -p "${REDIS_ADDR##*:}") ;; esac
    REDISCLI_AUTH=$(cat "$VAR/secrets/redis.pass") redis-cli "${where[@]}" "$@"; return
  fi
  local p
  for p in $(cluster_ports); do
    [ "$(redis_cli_node "$p" ping 2>/dev/null)" = PONG ] || continue
    REDISCLI_AUTH=$(cat "$VAR/secrets/redis.pass") redis-cli -c -h 127.0.0.1 -p "$p" "$@"; return
  done
  echo "no Redis cluster node answers on 127.0.0.1:$REDIS_CLUSTER_PORT..+5" >&2; return 1
}
redis_cli_node() { local p=$1; shift; REDISCLI_AUTH=$(cat "$VAR/secrets/redis.pass") redis-cli -h 127.0.0.1 -p "$p" "$@"; }
cluster_ports() { seq "$REDIS_CLUSTER_PORT" $((REDIS_CLUSTER_PORT + 5)); }
mysql_root() { mariadb --no-defaults -S "$MYSQL_SOCK" -u root "$@"; }
# mysql_as USER [args]: the mysql client as an application user (over TCP),
# with the user's client options file (written by scripts/stack, mode 0600).
mysql_as() {
  local user=$1; shift
  mariadb --defaults-file="$VAR/secrets/mysql-$user.cnf" seckill "$@"
}

# --- A stack and its events ----------------------------------------------------------
# fresh_stack [SERVICES...]: a stack of the script's own, for a benchmark or a
# soak: stops whatever runs under $VAR, deletes $VAR, starts SERVICES
# (scripts/stack up; all by default) with their output in $VAR/stack.log, and
# stops the stack when the script exits (at_exit). Dies with the log's end
# when the stack does not start. $VAR must be a directory of its own (not the
# checkout, /, or $HOME).
fresh_stack() {
  case $VAR in "$ROOT"|"$ROOT/"|/|"$HOME") die "fresh_stack will not delete $VAR: set SECKILL_VAR to a directory of its own" ;; esac
  say "fresh stack in $VAR"
  stack_down
  rm -rf "$VAR"; mkdir -p "$VAR"
  at_exit stack_down
  "$ROOT/scripts/stack" up "$@" > "$VAR/stack.log" 2>&1 || { tail -n 20 "$VAR/stack.log" >&2; die "the stack did not start: $VAR/stack.log"; }
}
# stack_down: stops the stack of $VAR, quietly (nothing running is fine).
stack_down() { "$ROOT/scripts/stack" down > /dev/null 2>&1 || true; }

# create_event EVENT TICKETS [LIMIT [WINDOW [ARGS...]]]: puts EVENT on sale on
# the stack of $VAR (its Redis, this host's node counters) with TICKETS tickets,
# at most LIMIT a user (1), a payment window of WINDOW seconds (600), and any
# further seckill-admin create-event ARGS (--price CENTS). Prints nothing on
# success; returns seckill-admin's status.
create_event() {
  local event=$1 tickets=$2 limit=${3:-1} window=${4:-600}
  shift $(( $# < 4 ? $# : 4 ))
  "$BUILD/seckill-admin" create-event --event "$event" --tickets "$tickets" --limit "$limit" --window "$window" \
    --redis "$REDIS_ADDR" --redis-password-file "$VAR/secrets/redis.pass" \
    --cluster "$CLUSTER" --sqlite-dir "$VAR/nodes" "$@" > /dev/null
}

# --- identity -------------------------------------------------------------------
# A buyer is signed in: every buyer request carries "Authorization: Bearer
# <token>" (docs/api.md). The helpers below keep the tests' old shape: a
# request whose form data (or query) has user_id=U is sent with U's token, so
# "user_id=U" still says who sends it (the worker ignores the field itself).
# Tokens come from the stack's own key ($VAR/secrets/identity-local.key, made
# by scripts/stack up), valid a day, minted once per user and stack and kept
# in $VAR/tokens/cache.tsv and TOKENS.
declare -gA TOKENS=()
# valid_user U: true when U can be a token's subject (common/ids.h, not anon-…)
valid_user() { [[ $1 =~ ^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$ ]] && [[ $1 != anon-* ]]; }
# tokens_for USER...: sets TOKENS[U] for each valid USER: those the stack's
# file has, the others minted in one seckill-admin call (and added to it).
tokens_for() {
  local u t missing=() dir=$VAR/tokens tag=$BASHPID
  local file=$dir/cache.tsv
  for u in "$@"; do valid_user "$u" && [ -z "${TOKENS[$u]:-}" ] && missing+=("$u"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ -s "$file" ]; then while IFS=$'\t' read -r u t; do TOKENS[$u]=$t; done < "$file"; fi
  local need=()
  for u in "${missing[@]}"; do [ -n "${TOKENS[$u]:-}" ] || need+=("$u"); done
  [ ${#need[@]} -gt 0 ] || return 0
  (umask 077; mkdir -p "$dir")
  printf '%s\n' "${need[@]}" | sort -u > "$dir/users.$tag"
  "$BUILD/seckill-admin" token --key "$VAR/secrets/identity-local.key" --ttl 86400 --users-file "$dir/users.$tag" \
    > "$dir/new.$tag" || { echo "tokens_for: seckill-admin token failed" >&2; rm -f "$dir/users.$tag" "$dir/new.$tag"; return 1; }
  paste "$dir/users.$tag" "$dir/new.$tag" >> "$file"
  while IFS=$'\t' read -r u t; do TOKENS[$u]=$t; done < <(paste "$dir/users.$tag" "$dir/new.$tag")
  rm -f "$dir/users.$tag" "$dir/new.$tag"
}
# token USER: prints USER's token
token() { tokens_for "$1" && echo "${TOKENS[$1]:-}"; }
# user_of PATH DATA: sets REPLY to the user_id=U of DATA, else of PATH's query ("" if none)
user_of() {
  local q="&$2&"
  REPLY=""
  if [[ $q =~ \&user_id=([^\&]*)\& ]]; then REPLY=${BASH_REMATCH[1]}; return 0; fi
  [[ $1 == *\?* ]] || return 0
  q="&${1#*\?}&"
  if [[ $q =~ \&user_id=([^\&]*)\& ]]; then REPLY=${BASH_REMATCH[1]}; fi
  return 0
}
# auth_header PATH DATA: sets REPLY to the Authorization header the request is
# sent with ("" for none): $TOKEN when set ("none": none), else the token of
# its user_id (none when it has none, or one no token can name).
auth_header() {
  if [ -n "${TOKEN+set}" ]; then
    REPLY=""; [ "$TOKEN" = none ] || REPLY="Authorization: Bearer $TOKEN"; return 0
  fi
  user_of "$1" "$2"
  local u=$REPLY
  REPLY=""
  valid_user "$u" || return 0
  tokens_for "$u" && REPLY="Authorization: Bearer ${TOKENS[$u]}"
}

# mint_tokens FILE PREFIX FIRST LAST: the tokens of users PREFIX<FIRST> …
# PREFIX<LAST>, one a line in that order, into FILE (for the wrk scripts,
# scripts/wrk/tokens.lua), valid a day, from the stack's sign-in key;
# seckill-admin token signs on every core. Prints how long it took.
mint_tokens() {
  local file=$1 prefix=$2 first=$3 last=$4 t0
  t0=$(date +%s%N)
  awk -v p="$prefix" -v a="$first" -v b="$last" 'BEGIN {for (i = a; i <= b; i++) printf "%s%d\n", p, i}' |
    "$BUILD/seckill-admin" token --key "$VAR/secrets/identity-local.key" --ttl 86400 --users-file - > "$file" ||
    die "cannot mint the tokens of $prefix$first..$last"
  echo "    $((last - first + 1)) tokens minted in $(( ($(date +%s%N) - t0) / 1000000 )) ms ($file)"
}

# spec_users SPEC: the user_id=U of each line of SPEC ("METHOD PATH DATA"),
# from DATA, else from PATH's query; one a line, those a token can name.
spec_users() {
  awk '{
    line = $0; sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]*/, "", line)
    u = ""; q = "&" line "&"
    if (match(q, /&user_id=[^&]*&/)) u = substr(q, RSTART + 9, RLENGTH - 10)
    else if (index($2, "?") && match("&" substr($2, index($2, "?") + 1) "&", /&user_id=[^&]*&/)) {
      q = "&" substr($2, index($2, "?") + 1) "&"; match(q, /&user_id=[^&]*&/); u = substr(q, RSTART + 9, RLENGTH - 10)
    }
    if (u ~ /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/ && length(u) <= 64 && u !~ /^anon-/) print u
  }' "$1"
}
# spec_tokens SPEC: every user of SPEC has a token in $VAR/tokens/cache.tsv
# (the missing ones minted in one call, as tokens_for does).
spec_tokens() {
  local dir=$VAR/tokens tag=$BASHPID  # (taken here: in a pipeline $BASHPID is the element's)
  (umask 077; mkdir -p "$dir"); touch "$dir/cache.tsv"
  spec_users "$1" | sort -u | awk -F'\t' 'FILENAME == ARGV[1] {have[$1] = 1; next} !($1 in have)' "$dir/cache.tsv" - > "$dir/users.$tag"
  if [ -s "$dir/users.$tag" ]; then
    "$BUILD/seckill-admin" token --key "$VAR/secrets/identity-local.key" --ttl 86400 --users-file "$dir/users.$tag" \
      > "$dir/new.$tag" && paste "$dir/users.$tag" "$dir/new.$tag" >> "$dir/cache.tsv"
  fi
  rm -f "$dir/users.$tag" "$dir/new.$tag"
}

# race PARALLEL OUTDIR < SPEC: SPEC lines are "METHOD PATH DATA"; sends them
# all with up to PARALLEL at once; OUTDIR/results gets "N STATUS" lines and
# OUTDIR/N the body of request N. Each request is signed in as the user_id=U
# of its DATA or PATH (auth_header's rule; $TOKEN overrides), the tokens
# minted first in one call; the curl config is written by one awk.
# SECKILL_CLIENT_EXEC, a command prefix, runs curl elsewhere (scripts/topology's
# client host).
race() {
  local par=$1 dir=$2 fixed="" cache=/dev/null
  mkdir -p "$dir"
  cat > "$dir/spec"
  if [ -n "${TOKEN+set}" ]; then
    [ "$TOKEN" = none ] || fixed="Authorization: Bearer $TOKEN"
  elif spec_tokens "$dir/spec"; then
    cache=$VAR/tokens/cache.tsv
  fi
  awk -F'\t' -v base="$BASE_URL" -v dir="$dir" -v fixed="$fixed" '
    FILENAME == ARGV[1] { tok[$1] = $2; next }
    {
      sub(/^[ \t]+/, "", $0); split($0, f, /[ \t]+/)
      method = f[1]; path = f[2]
      data = $0; sub(/^[^ \t]+[ \t]+[^ \t]+[ \t]*/, "", data)
      u = ""; q = "&" data "&"
      if (match(q, /&user_id=[^&]*&/)) u = substr(q, RSTART + 9, RLENGTH - 10)
      else if (index(path, "?")) { q = "&" substr(path, index(path, "?") + 1) "&"; if (match(q, /&user_id=[^&]*&/)) u = substr(q, RSTART + 9, RLENGTH - 10) }
      n++
      if (n > 1) print "next"
      printf "url = \"%s%s\"\nrequest = \"%s\"\ndata = \"%s\"\noutput = \"%s/%d\"\nwrite-out = \"%d %%{http_code}\\n\"\n", base, path, method, data, dir, n, n
      if (fixed != "") printf "header = \"%s\"\n", fixed
      else if (u in tok) printf "header = \"Authorization: Bearer %s\"\n", tok[u]
    }' "$cache" "$dir/spec" > "$dir/curl.conf"
  if [ ! -s "$dir/curl.conf" ]; then : > "$dir/results"; return 0; fi
  ${SECKILL_CLIENT_EXEC:-} curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$par" -K "$dir/curl.conf" > "$dir/results"
}

