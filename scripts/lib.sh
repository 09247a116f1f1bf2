# lib.sh — paths and helpers shared by the scripts. Source it; it sets:
#   ROOT    the checkout;  BUILD  its build dir (build/ unless $BUILD)
#   VAR     the local stack's state (var/ unless $SECKILL_VAR)
#   PORT, ADMIN_PORT, MYSQL_PORT   loopback ports (SECKILL_PORT, …)
#   CLUSTER the cluster config (etc/cluster.conf unless $SECKILL_CLUSTER)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
VAR=${SECKILL_VAR:-$ROOT/var}
mkdir -p "$VAR"
VAR=$(cd "$VAR" && pwd)
PORT=${SECKILL_PORT:-8080}
ADMIN_PORT=${SECKILL_ADMIN_PORT:-8081}
MYSQL_PORT=${SECKILL_MYSQL_PORT:-3307}
CLUSTER=${SECKILL_CLUSTER:-$ROOT/etc/cluster.conf}
APPENDFSYNC=${SECKILL_APPENDFSYNC:-everysec}
REDIS_SOCK=$VAR/run/redis.sock
MYSQL_SOCK=$VAR/run/mysqld.sock
BASE_URL=http://127.0.0.1:$PORT
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
say() { echo "==> $*"; }

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
redis_cli() { REDISCLI_AUTH=$(cat "$VAR/secrets/redis.pass") redis-cli -s "$REDIS_SOCK" "$@"; }
mysql_root() { mariadb --no-defaults -S "$MYSQL_SOCK" -u root "$@"; }
# mysql_as USER [args]: the mysql client as an application user (over TCP),
# with the user's client options file (written by scripts/stack, mode 0600).
mysql_as() {
  local user=$1; shift
  mariadb --defaults-file="$VAR/secrets/mysql-$user.cnf" seckill "$@"
}

# race PARALLEL OUTDIR < SPEC: SPEC lines are "METHOD PATH DATA"; sends them
# all with up to PARALLEL at once; OUTDIR/results gets "N STATUS" lines and
# OUTDIR/N the body of request N.
race() {
  local par=$1 dir=$2 n=0 method path data
  mkdir -p "$dir"
  : > "$dir/curl.conf"
  while read -r method path data; do
    n=$((n + 1))
    [ $n -gt 1 ] && echo next >> "$dir/curl.conf"
    printf 'url = "%s%s"\nrequest = "%s"\ndata = "%s"\noutput = "%s/%d"\nwrite-out = "%d %%{http_code}\\n"\n' \
      "$BASE_URL" "$path" "$method" "$data" "$dir" "$n" "$n" >> "$dir/curl.conf"
  done
  if [ $n -eq 0 ]; then : > "$dir/results"; return 0; fi
  curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$par" -K "$dir/curl.conf" > "$dir/results"
}

