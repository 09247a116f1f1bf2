#!/usr/bin/env bash
# deploy_test — deploy/ as `make install` installs it, run the way systemd
# would run it (systemd itself cannot run here: PID 1 is not systemd):
#   - make install DESTDIR=<staging>: units, tmpfiles.d, sysusers.d,
#     /etc/seckill (cluster config, pools' process counts) and the nginx site
#   - systemd-analyze verify on every unit; systemd-analyze security's
#     exposure of each service, printed and kept below 2.0
#   - in private mount, network and pid namespaces (nothing of the host is
#     changed: the staging tree is laid over /etc and /usr/local, /var/lib and
#     /var/log get overlays whose changes stay in the staging tree, /run is a
#     fresh tmpfs, port 80 is the namespace's own):
#     the seckill user from the installed sysusers.d (systemd-sysusers), the
#     directories, owners and modes from the installed tmpfiles.d
#     (systemd-tmpfiles --create)
#   - Redis from deploy/redis/redis-seckill.conf (its passwords set, bound to
#     the namespace's 127.0.0.1:6379); MariaDB from scripts/stack on the
#     namespace's port 3306 (it creates the users and the schema)
#   - each pool unit's ExecStart, as its User and Group, with its UMask, its
#     EnvironmentFiles, no capabilities and no new privileges (setpriv); the
#     sockets are seckill:www-data 0660; the workers run as seckill
#   - one reservation through the installed site in Debian's own nginx.conf
#     (workers as www-data): 201; the sold-out flag the workers raise
#   - the reconciler unit's ExecStart moves it to MySQL and writes its
#     metrics file; SIGTERM ends it
#   - with strace: every system call the services made passes their
#     SystemCallFilter=, and they open nothing in /proc or /sys (ProcSubset=pid)
#   - everything stopped; the namespaces and the staging tree go
# Needs root (namespaces, setpriv); the services' stderr, which systemd sends
# to the journal, goes to files in the staging tree (shown on failure).
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$TESTS_DIR/.." && pwd)
PATH=$PATH:/usr/sbin:/sbin

# ---- Helpers: a unit run as systemd would run it -------------------------------
# unit_service_lines FILE: the [Service] settings of a unit file, one per
# line, continuation lines joined, comments dropped.
unit_service_lines() {
  awk '/^\[/ { sec = $0; next }
       sec == "[Service]" && !/^[#;]/ && NF {
         line = line $0
         if (sub(/\\$/, "", line)) next
         gsub(/[ \t]+/, " ", line); print line; line = "" }' "$1"
}
# unit_values FILE KEY: each value of KEY in the unit's [Service] section.
unit_values() { unit_service_lines "$1" | sed -n "s/^$2=//p"; }

# run_unit FILE INSTANCE LOG: starts the unit's ExecStart in the background as
# its User and Group (no supplementary groups), with its UMask and the
# variables of its EnvironmentFiles, with no capabilities and no new
# privileges; stderr and stdout to LOG (the journal). Sets UNIT_PID, the
# service's main process, and UNIT_BG, the shell's background job to wait for.
run_unit() {
  local file=$1 inst=$2 log=$3 user group umask exec f k v
  user=$(unit_values "$file" User); group=$(unit_values "$file" Group)
  umask=$(unit_values "$file" UMask); exec=$(unit_values "$file" ExecStart)
  exec=${exec//%i/$inst}
  local -A envs=()
  while read -r f; do
    f=${f//%i/$inst}
    while IFS='=' read -r k v; do
      [[ $k =~ ^[A-Z_][A-Z0-9_]*$ ]] && envs[$k]=$v
    done < "$f"
  done < <(unit_values "$file" EnvironmentFile)
  local words=() argv=() w
  read -ra words <<< "$exec"
  for w in "${words[@]}"; do
    for k in "${!envs[@]}"; do w=${w//\$\{$k\}/${envs[$k]}}; done
    argv+=("$w")
  done
  local envv=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/seckill
              USER="$user" LOGNAME="$user" SHELL=/usr/sbin/nologin)
  for k in "${!envs[@]}"; do envv+=("$k=${envs[$k]}"); done
  # The service's pid, kept through its execs (under strace it is strace's child).
  local tracer=() pidfile=$log.pid
  [ -n "$TRACE" ] && tracer=(strace -f -qq -o "$log.strace")
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # the inner shell expands $$, $0 and $@
  (cd / && umask "${umask:-0022}" &&
   exec "${tracer[@]}" sh -c 'echo $$ > "$0"; exec "$@"' "$pidfile" \
     setpriv --reuid="$user" --regid="$group" --clear-groups --no-new-privs \
     --bounding-set=-all --inh-caps=-all env -i "${envv[@]}" "${argv[@]}") >> "$log" 2>&1 < /dev/null &
  UNIT_BG=$!
  wait_until 10 test -s "$pidfile"
  UNIT_PID=$(cat "$pidfile" 2>/dev/null || echo "$UNIT_BG")
}
# descendants PID: every process below PID.
descendants() {
  local c
  for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done
}

# syscall_set @GROUP: the system calls of a systemd group, nested groups expanded.
syscall_set() {
  local w
  systemd-analyze syscall-filter "$1" | awk 'NR > 1 && $1 !~ /^#/ && NF { print $1 }' | while read -r w; do
    if [[ $w == @* ]]; then syscall_set "$w"; else echo "$w"; fi
  done | sort -u
}
# traced_syscalls FILE EXE: the system calls an strace -f log shows after the
# service's first execve of EXE (setpriv's own calls before it are systemd's
# part, made before the filter applies).
traced_syscalls() {
  awk -v exe="execve(\"$2\"" 'found { sub(/^[0-9]+ +/, ""); if (match($0, /^[a-z0-9_]+\(/)) print substr($0, 1, RLENGTH - 1) }
       index($0, exe) { found = 1 }' "$1" | sort -u
}
# filter_denied UNIT-FILE STRACE-LOG EXE: the system calls the service made
# that its SystemCallFilter= lines (an allow list, then ~deny lists) refuse.
filter_denied() {
  local line allowed="" denied="" g
  while read -r line; do
    if [[ $line == "~"* ]]; then
      for g in ${line#\~}; do denied+=$(syscall_set "$g")$'\n'; done
    else
      for g in $line; do allowed+=$(syscall_set "$g")$'\n'; done
    fi
  done < <(unit_values "$1" SystemCallFilter)
  comm -23 <(traced_syscalls "$2" "$3") \
    <(comm -23 <(printf '%s' "$allowed" | sort -u) <(printf '%s' "$denied" | sort -u)) | tr '\n' ' ' | sed 's/ $//'
}

wait_until() {  # wait_until SECONDS CMD...: true once CMD succeeds
  local end=$((SECONDS + $1)); shift
  until "$@" > /dev/null 2>&1; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.2; done
}
# stop_proc PID [SECONDS [JOB]]: as systemd stops a unit: TERM to the main
# process PID, then, after it exited or SECONDS (10) passed, KILL to every
# process left below JOB (PID), the unit's "control group"; then reaps JOB.
stop_proc() {
  local pid=$1 job=${3:-$1} end=$((SECONDS + ${2:-10})) p
  kill -TERM "$pid" 2>/dev/null
  while alive "$pid" && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
  for p in $pid $(descendants "$job"); do kill -KILL "$p" 2>/dev/null; done
  end=$((SECONDS + 10))
  while alive "$job" && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
  alive "$job" || wait "$job" 2>/dev/null
  return 0
}
alive() { [ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
show_logs() { local f; for f in "$J"/*.log; do echo "# --- $f"; sed 's/^/#   /' "$f" | tail -20; done; }

# ---- Inside the namespaces --------------------------------------------------------
inside() {
  S=$DEPLOY_TEST_STAGE
  # strace, when installed, records the services' system calls, to check them
  # against their SystemCallFilter= (seccomp itself needs systemd).
  TRACE=""; command -v strace > /dev/null && TRACE=1
  T=$S/.test; J=$T/journal
  mkdir -p "$T/redis" "$J" "$S"/.ns/{etc,etc-work,lib,lib-work,log,log-work}
  ip link set lo up
  if ! { mount -t overlay overlay -o "lowerdir=$S/etc:/etc,upperdir=$S/.ns/etc,workdir=$S/.ns/etc-work" /etc &&
          mount -t overlay overlay -o "lowerdir=$S/usr/local:/usr/local" /usr/local &&
          mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$S/.ns/lib,workdir=$S/.ns/lib-work" /var/lib &&
          mount -t overlay overlay -o "lowerdir=/var/log,upperdir=$S/.ns/log,workdir=$S/.ns/log-work" /var/log; }; then
    not_ok "the staging tree is laid over /etc, /usr/local, /var/lib, /var/log"; return
  fi

  # -- the units
  local f name nodes first
  nodes=$(find /etc/seckill/pools -name '*.env' -printf '%f\n' | sed 's/\.env$//' | sort)
  first=$(echo "$nodes" | head -1)
  check_eq "the pools' process counts are rendered for the cluster's nodes" \
    "$(/usr/local/bin/seckill-admin nodes --cluster /etc/seckill/cluster.conf | awk '{print $1}')" "$nodes"
  for f in /etc/systemd/system/seckill*; do
    name=$(basename "$f"); name=${name/@./@$first.}
    if out=$(cd / && systemd-analyze verify "$name" 2>&1) && [ -z "$out" ]; then ok "systemd-analyze verify $name"
    else not_ok "systemd-analyze verify $name" "$(echo "$out" | tr '\n' ' ')"; fi
    case $name in *.service) ;; *) continue ;; esac
    local score
    score=$(cd / && systemd-analyze security --offline=yes "$name" 2>/dev/null | sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
    echo "# systemd-analyze security $name: exposure $score"
    if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s < 2.0) }'; then ok "$name: exposure $score, below 2.0"
    else not_ok "$name: exposure below 2.0" "got '$score'"; fi
  done

  # -- the user and the directories, by the installed sysusers.d and tmpfiles.d
  mount -t tmpfs -o mode=0755 tmpfs /run || { not_ok "a fresh /run"; return; }
  check "systemd-sysusers creates the seckill user" systemd-sysusers /etc/sysusers.d/seckill.conf 2> /dev/null
  check_eq "seckill is a system user with no shell" "seckill /usr/sbin/nologin" \
    "$(getent passwd seckill | awk -F: '$3 < 1000 {print $1, $7}')"
  check "systemd-tmpfiles --create applies the installed rules" systemd-tmpfiles --create /etc/tmpfiles.d/seckill.conf
  local type path mode user group rest bad=""
  while read -r type path mode user group rest; do
    [[ $type == d ]] || continue
    [ "$(stat -c '%a %U %G' "$path" 2>/dev/null)" = "${mode#0} $user $group" ] || bad+=" $path"
  done < /etc/tmpfiles.d/seckill.conf
  check_eq "each directory has the owner, group and mode of its rule" "" "$bad"

  # -- what the operator writes (docs/deploy.md, "Steps")
  local dpass wpass rpass
  dpass=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'); wpass=${dpass}w; rpass=${dpass}r
  sed -e "/^user default /s/CHANGE-ME/$dpass/" -e "/^user worker /s/CHANGE-ME/$wpass/" \
      -e "/^user reconciler /s/CHANGE-ME/$rpass/" -e 's/^bind .*/bind 127.0.0.1/' \
      /usr/local/share/seckill/deploy/redis/redis-seckill.conf > "$T/redis/seckill.conf"
  printf 'include %s\nport 6379\ndir %s\ndaemonize no\nlogfile ""\nappendfsync everysec\n' \
    "$T/redis/seckill.conf" "$T/redis" > "$T/redis/redis.conf"
  printf 'SECKILL_REDIS=127.0.0.1:6379\nSECKILL_MYSQL_HOST=127.0.0.1\nSECKILL_MYSQL_PORT=3306\n' > /etc/seckill/seckill.env
  (umask 077; echo "$dpass" > "$T/redis-default.pass")
  echo "worker:$wpass" > /etc/seckill/redis-worker.pass
  echo "reconciler:$rpass" > /etc/seckill/redis-reconciler.pass
  rm -f /etc/nginx/sites-enabled/default
  ln -s ../sites-available/seckill /etc/nginx/sites-enabled/seckill
  # The site's sign-in key: its public half named in the cluster config, its
  # private half with the sign-in (here: the test, which mints the tokens).
  mkdir -p /etc/seckill/keys
  /usr/local/bin/seckill-admin keygen --private "$T/site.key" --public /etc/seckill/keys/site.pub > /dev/null \
    || not_ok "seckill-admin keygen"
  printf '\n[identity]\nkey site = RS256 /etc/seckill/keys/site.pub\n' >> /etc/seckill/cluster.conf
  site_token() { /usr/local/bin/seckill-admin token --key "$T/site.key" --kid site --user "$1"; }

  # -- Redis and MariaDB
  redis-server "$T/redis/redis.conf" > "$J/redis.log" 2>&1 &
  local redis_pid=$!
  wait_until 20 redis-cli -p 6379 --no-auth-warning -a "$dpass" ping || not_ok "Redis starts" "see $J/redis.log"
  SECKILL_VAR=$T/stack SECKILL_MYSQL_PORT=3306 "$ROOT/scripts/stack" up mysql > "$J/mariadb.log" 2>&1 \
    || not_ok "MariaDB starts (scripts/stack)" "$(tail -3 "$J/mariadb.log" | tr '\n' ' ')"
  cp "$T/stack/secrets/mysql-reconciler.pass" /etc/seckill/mysql-reconciler.pass
  chown root:seckill /etc/seckill/*.pass && chmod 0640 /etc/seckill/*.pass
  /usr/local/bin/seckill-admin create-event --event deploy --tickets 1 --redis 127.0.0.1:6379 \
    --redis-password-file "$T/redis-default.pass" --cluster /etc/seckill/cluster.conf > /dev/null \
    || not_ok "create-event"

  # -- the pools, as seckill-pool@<node>.service runs them
  local pool_pids=() pool_jobs=() node procs=0 n
  for node in $nodes; do
    run_unit /etc/systemd/system/seckill-pool@.service "$node" "$J/seckill-pool@$node.log"
    pool_pids+=("$UNIT_PID"); pool_jobs+=("$UNIT_BG")
    n=$(sed -n 's/^SECKILL_PROCESSES=//p' "/etc/seckill/pools/$node.env"); procs=$((procs + n))
  done
  local socks_ok=1
  for node in $nodes; do wait_until 10 test -S "/run/seckill/pools/pool-$node.sock" || socks_ok=0; done
  check_eq "every pool's socket is up" 1 "$socks_ok"
  check_eq "the socket is seckill:www-data 0660 (setgid directory, -M 0660)" "srw-rw---- seckill www-data" \
    "$(stat -c '%A %U %G' "/run/seckill/pools/pool-$first.sock" 2>/dev/null)"
  wait_until 10 test "$(pgrep -c -x seckill-worker)" -ge "$procs"
  check_eq "the workers run as seckill, as many as cluster.conf says" "$procs seckill" \
    "$(pgrep -c -x seckill-worker) $(ps -o user= -C seckill-worker | sort -u | tr '\n' ' ' | sed 's/ $//')"

  # -- nginx with the installed site, as Debian starts it
  if out=$(nginx -t 2>&1); then ok "nginx -t accepts Debian's nginx.conf with the installed site"
  else not_ok "nginx -t with the installed site" "$(echo "$out" | tr '\n' ' ')"; fi
  nginx 2> "$J/nginx.log"
  wait_until 10 curl -s -o /dev/null http://127.0.0.1:8081/nginx_status || not_ok "nginx starts" "see $J/nginx.log"
  check_eq "nginx's workers run as www-data" "www-data" "$(ps -o user= --ppid "$(cat /run/nginx.pid 2>/dev/null || echo 1)" | sort -u | tr '\n' ' ' | sed 's/ $//')"

  local code body
  code=$(curl -s -o "$T/reserve.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $(site_token deploy1)" \
    http://127.0.0.1/api/events/deploy/reservations)
  body=$(cat "$T/reserve.json" 2>/dev/null)
  check_eq "a reservation through the installed site answers 201" 201 "$code"
  local order
  order=$(jq -r '.order_id // empty' <<< "$body" 2>/dev/null)
  if [ -n "$order" ]; then ok "the 201 names an order ($order)"; else not_ok "the 201 names an order" "body: $body"; fi
  check_eq "without a token: 401 (deploy/'s /buy/ticket and API are signed in)" "401 401" \
    "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data user_id=deploy1 http://127.0.0.1/api/events/deploy/reservations) $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/buy/ticket)"
  check_eq "no demo sign-in on an installed site" 404 "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data name=x http://127.0.0.1/demo/sign-in)"
  check_eq "the one ticket is gone: the next buyer gets 409" 409 \
    "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $(site_token deploy2)" http://127.0.0.1/api/events/deploy/reservations)"
  check_eq "the workers raise the sold-out flag in /run/seckill/soldout" seckill \
    "$(stat -c %U /run/seckill/soldout/deploy 2>/dev/null)"
  check_eq "the metrics of a node through the local-only listener" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:8081/metrics/$first")"
  check_eq "the node counter is the seckill user's" seckill \
    "$(stat -c %U "/var/lib/seckill/nodes/$(jq -r '.node // empty' <<< "$body" 2>/dev/null).sqlite" 2>/dev/null)"

  # -- the reconciler, as seckill-reconciler.service runs it (until SIGTERM)
  local prom=/var/lib/seckill/textfile/seckill-reconciler.prom rec rec_bg
  run_unit /etc/systemd/system/seckill-reconciler.service "" "$J/seckill-reconciler.log"
  rec=$UNIT_PID rec_bg=$UNIT_BG
  check "the reconciler writes its metrics file after a pass" wait_until 30 test -s "$prom"
  check_eq "the metrics file is seckill's, readable by node_exporter (0644)" "644 seckill" \
    "$(stat -c '%a %U' "$prom" 2>/dev/null)"
  check_eq "the reservation is in MySQL" 1 \
    "$(mariadb --no-defaults -S "$T/stack/run/mysqld.sock" -u root seckill -N -e "SELECT COUNT(*) FROM orders WHERE order_id='$order'" 2>/dev/null)"
  check_eq "the reconciler's lock file is seckill's" seckill "$(stat -c %U /run/seckill/reconciler/lock 2>/dev/null)"
  stop_proc "$rec" 15 "$rec_bg"
  check "SIGTERM ends the reconciler" test ! -d "/proc/$rec"

  # -- stop everything
  local i
  nginx -s quit 2>/dev/null; wait_until 10 test ! -e /run/nginx.pid
  for i in "${!pool_pids[@]}"; do stop_proc "${pool_pids[$i]}" 15 "${pool_jobs[$i]}"; done
  redis-cli -p 6379 --no-auth-warning -a "$dpass" shutdown nosave > /dev/null 2>&1; stop_proc "$redis_pid"
  SECKILL_VAR=$T/stack SECKILL_MYSQL_PORT=3306 "$ROOT/scripts/stack" down mysql >> "$J/mariadb.log" 2>&1
  # Not a claim of this test: now and then a worker misses its pool's SIGTERM
  # (the process-directed signal is taken by its sold-out watcher thread, which
  # does not block it, and accept() goes on waiting); the KILL above ends it.
  n=$(cat "$J"/seckill-pool@*.log | grep -c 'shutting down on signal')
  [ "$n" = "$procs" ] || echo "# note: $n of $procs workers shut down on their pool's SIGTERM, the others were killed"
  check_eq "nothing runs as seckill once the services stopped" 0 "$(pgrep -c -u seckill)"
  if [ -n "$TRACE" ]; then
    local np nr
    np=$(traced_syscalls "$J/seckill-pool@$first.log.strace" /usr/bin/spawn-fcgi | wc -l)
    nr=$(traced_syscalls "$J/seckill-reconciler.log.strace" /usr/local/bin/seckill-reconciler | wc -l)
    check "strace saw the services at work ($np and $nr distinct system calls)" test "$np" -gt 30 -a "$nr" -gt 30
    check_eq "after their execve the services open nothing in /proc or /sys (ProcSubset=pid)" "" \
      "$(awk 'FNR == 1 { found = 0 }
              /execve\("\/usr\/bin\/spawn-fcgi"|execve\("\/usr\/local\/bin\/seckill-reconciler"/ { found = 1 }
              found && /"\/(proc|sys)\// { print; exit }' "$J/seckill-pool@$first.log.strace" "$J/seckill-reconciler.log.strace")"
    check_eq "the pool's system calls all pass its SystemCallFilter" "" \
      "$(filter_denied /etc/systemd/system/seckill-pool@.service "$J/seckill-pool@$first.log.strace" /usr/bin/spawn-fcgi)"
    check_eq "the reconciler's system calls all pass its SystemCallFilter" "" \
      "$(filter_denied /etc/systemd/system/seckill-reconciler.service "$J/seckill-reconciler.log.strace" /usr/local/bin/seckill-reconciler)"
  else
    ok "# SKIP no strace: the system calls are not checked against SystemCallFilter"
  fi
  [ "$FAILED" -eq 0 ] || show_logs
}

if [ -n "${DEPLOY_TEST_STAGE:-}" ]; then
  inside
  echo "$PASSED $FAILED" > "$DEPLOY_TEST_STAGE/.counts"
  exit 0
fi

# ---- Outside: install, then the rest in the namespaces ------------------------------
if [ "$(id -u)" != 0 ]; then
  ok "# SKIP the deployment test needs root (namespaces, setpriv)"; finish; exit
fi
for tool in systemd-analyze systemd-tmpfiles systemd-sysusers setpriv unshare spawn-fcgi multiwatch nginx redis-server mariadbd jq; do
  command -v "$tool" > /dev/null || { not_ok "$tool is installed" "run scripts/install-deps"; finish; exit; }
done
STAGE=$(mktemp -d /tmp/seckill-deploy.XXXXXX)
chmod 0711 "$STAGE"  # scripts/stack's MariaDB (inside) runs as seckill, under $STAGE/.test/stack
# KEEP_VAR=1 keeps the staging tree (the installed files, the services' logs
# and system call traces under .test/journal) for a look afterwards.
if [ -n "${KEEP_VAR:-}" ]; then trap 'echo "# staging tree kept: $STAGE"' EXIT; else trap 'rm -rf "$STAGE"' EXIT; fi
if make -s -C "$ROOT" install DESTDIR="$STAGE" PREFIX=/usr/local > "$STAGE/install.log" 2>&1; then
  ok "make install DESTDIR=<staging>"
else
  not_ok "make install DESTDIR=<staging>" "$(tail -5 "$STAGE/install.log" | tr '\n' ' ')"; finish; exit
fi
check "the nginx site is rendered, not copied (no hand copy in deploy/)" test ! -e "$ROOT/deploy/nginx/seckill.conf"
check "the reconciler unit passes --metrics-file" grep -q -- '--metrics-file' "$STAGE/etc/systemd/system/seckill-reconciler.service"
for f in "$STAGE"/etc/systemd/system/*.service; do
  check "$(basename "$f") names User=seckill" grep -q '^User=seckill$' "$f"
  check "$(basename "$f") names Group=seckill" grep -q '^Group=seckill$' "$f"
done

# --kill-child: if unshare is killed (timeout's KILL: unshare blocks TERM), the
# namespace's first process goes, and with it every process of the namespace.
timeout -k 10 150 unshare --mount --net --pid --fork --kill-child --mount-proc --propagation private \
  env DEPLOY_TEST_STAGE="$STAGE" BUILD="$BUILD" bash "$0"
if read -r p f < "$STAGE/.counts" 2>/dev/null; then
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
else
  not_ok "the test inside the namespaces finished" "timed out or died"
fi
finish
