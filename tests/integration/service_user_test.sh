#!/usr/bin/env bash
# service_user_test — nothing runs as root (issue 12, item 15): started by
# root, the local stack runs its servers as the unprivileged SECKILL_USER
# (default seckill, created if missing):
#   - the uids: nginx's workers (its master alone is root), every pool's
#     multiwatch and workers, Redis, MariaDB, the reconciler and its
#     supervisor; no other process of the stack is root
#   - it works as that user: a reservation (node file, Redis socket), the
#     sold-out flag written by a worker and served by nginx's worker, the
#     workers' logs, the reconciler's passes into MySQL
#   - secrets stay private: every file 0600; the servers' own are theirs, the
#     operator's are root's and unreadable to them; the folder cannot be
#     listed by them; var/run and the Redis data folder stay 0700 (its config
#     0600); they have no MariaDB account
# Needs root (skipped otherwise).
# expect-skip: not root
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
if [ "$(id -u)" != 0 ]; then skip "the stack's uids" "not root: everything runs as the invoking user"; finish; exit; fi
start_stack  # all, the reconciler included
U=${SECKILL_USER:-seckill}
uid=$(id -u "$U")
check "the service user $U exists, not root (uid $uid)" test -n "$uid" -a "$uid" != 0
# users PID...: the distinct user names of the processes, space-separated
users() { ps -o user= -p "$(tr ' ' ',' <<< "$*" | sed 's/,*$//')" | sort -u | paste -sd' '; }
as_u() { setpriv --reuid="$U" --regid="$(id -gn "$U")" --init-groups -- "$@"; }

# --- the uids ---------------------------------------------------------------------------
master=$(cat "$VAR/run/nginx.pid")
check_eq "nginx's master is root (it binds, then drops)" root "$(users "$master")"
check_eq "nginx's workers run as $U" "$U" "$(users "$(nginx_workers)")"
pools=""; workers=""
for f in "$VAR"/run/pool-*.pid; do pools+="$(cat "$f") "; workers+="$(children "$(cat "$f")")"; done
check "the pools have workers ($workers)" test -n "${workers// /}"
check_eq "every pool's multiwatch runs as $U" "$U" "$(users "$pools")"
check_eq "every pool worker runs as $U" "$U" "$(users "$workers")"
check_eq "Redis runs as $U" "$U" "$(users "$(cat "$VAR/run/redis.pid")")"
check_eq "MariaDB runs as $U" "$U" "$(users "$(cat "$VAR/run/mysqld.pid")")"
sup=$(cat "$VAR/run/reconciler.pid")
wait_until 5 "the supervisor runs a reconciler" test -n "$(children "$sup")"
check_eq "the reconciler and its supervisor run as $U" "$U" "$(users "$sup $(children "$sup")")"
signin=$(cat "$VAR/run/signin.pid")
check_eq "the demo sign-in runs as a user of its own (seckill-signin)" seckill-signin "$(users "$signin $(children "$signin")")"
check "$U cannot read the sign-in's private key" eval "! as_u cat '$VAR/secrets/identity-local.key' > /dev/null 2>&1"
check "but reads the public key the workers verify with" as_u cat "$VAR/secrets/identity-local.pub"
others=$(pgrep -f -- "$VAR/" | grep -vx "$master" | xargs -r ps -o user=,pid=,args= -p | awk '$1 == "root"')
check_eq "no other process of the stack runs as root" "" "$others"

# --- it works as that user -------------------------------------------------------------------
create_event own 2
http POST /api/events/own/reservations user_id=a
check_eq "a reservation: 201" 201 "$STATUS"
http POST /api/events/own/reservations user_id=b
check_eq "the last ticket: 201" 201 "$STATUS"
http POST /api/events/own/reservations user_id=c
check_eq "then sold out" 409 "$STATUS"
wait_until 5 "the sold-out flag" soldout_flag own
check_eq "the sold-out flag is written by a worker ($U)" "$U" "$(stat -c %U "$VAR/run/soldout/own")"
http POST /api/events/own/reservations user_id=d
check_eq "and served by nginx's worker: 409 from nginx itself (no X-Node)" "409 0" "$STATUS $(grep -ci '^X-Node' <<< "$HEADERS")"
check_eq "the node files are $U's" "$U" "$(stat -c %U "$VAR"/nodes/*.sqlite | sort -u | paste -sd' ')"
check "the workers write their logs" test -s "$VAR/log/worker-n1.log"
check_eq "the worker logs are $U's" "$U" "$(stat -c %U "$VAR"/log/worker-*.log | sort -u | paste -sd' ')"
check_within 10 "the reconciler moves the orders into MySQL" eval "test \"\$(sql \"SELECT COUNT(*) FROM orders WHERE event_id='own'\")\" = 2"

# --- secrets stay private --------------------------------------------------------------------------
check_eq "every secret file is mode 0600" 0 "$(find "$VAR/secrets" -type f ! -perm 600 | wc -l)"
check_eq "the folder: root's, $U may pass but not list (0710)" "710 root" "$(stat -c '%a %U' "$VAR/secrets")"
check "$U cannot list the secrets" eval "! as_u ls '$VAR/secrets' > /dev/null 2>&1"
check "$U reads the workers' Redis secret (the control)" as_u cat "$VAR/secrets/redis-worker.pass"
check "$U cannot read the operator's Redis password" eval "! as_u cat '$VAR/secrets/redis.pass' > /dev/null 2>&1"
check "nor the reporter's MySQL password" eval "! as_u cat '$VAR/secrets/mysql-reporter.pass' > /dev/null 2>&1"
check_eq "var/run stays 0700, $U's" "700 $U" "$(stat -c '%a %U' "$VAR/run")"
check_eq "the Redis data folder is 0700, $U's" "700 $U" "$(stat -c '%a %U' "$VAR/redis")"
check_eq "and its config (passwords) 0600" "600" "$(stat -c %a "$VAR/redis/redis.conf")"
# mariadb-install-db --user gives that user an all-privileges account over the
# socket (unix_socket); the stack drops it: a worker is nobody to MariaDB.
check_eq "MariaDB has no account for $U" 0 "$(sql "SELECT COUNT(*) FROM mysql.global_priv WHERE User='$U'")"
check "$U cannot log in to MariaDB over its socket (access denied: ERROR 1045 or 1698)" \
  grep -Eq '^ERROR (1045|1698) .*Access denied' <<< "$(as_u mariadb --no-defaults -S "$MYSQL_SOCK" -e 'SELECT 1' 2>&1)"

finish
