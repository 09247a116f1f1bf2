#!/usr/bin/env bash
# abuse_test — least privilege and abuse: nginx's per-address rate and
# connection limits (on from the cluster config), Redis ACL users, MariaDB
# users, secrets on disk.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
sed 's/^rate_per_second = 0 .*/rate_per_second = 5/; s/^rate_burst = .*/rate_burst = 5/' etc/cluster.conf > "$T/limited.conf"
export SECKILL_CLUSTER=$T/limited.conf
start_stack redis mysql pools nginx
create_event abuse 100000

# --- rate limits ----------------------------------------------------------------------
for i in $(seq 1 60); do echo "POST /api/events/abuse/reservations user_id=flood$i"; done | race 10 "$T/flood"
limited=$(grep -c ' 429$' "$T/flood/results")
check "a flood of 60 from one address is mostly answered 429 ($limited)" test "$limited" -ge 45
served=$(grep -c ' 201$' "$T/flood/results")
check "the burst is served ($served)" test "$served" -ge 5 -a "$served" -le 12
n=$(grep ' 429$' "$T/flood/results" | head -1 | cut -d' ' -f1)
check_eq "the 429 is JSON" rate_limited "$(jq -r .error "$T/flood/$n")"
other=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -H "Authorization: Bearer $(token other)" -X POST -d user_id=other "$BASE_URL/api/events/abuse/reservations")
check_eq "meanwhile another address is served" 201 "$other"
http GET /api/events/abuse
check_eq "reading an event is not rate limited" 200 "$STATUS"
sleep 1.2
http POST /api/events/abuse/reservations user_id=later
check_eq "a second later the flooding address is served again" 201 "$STATUS"

# --- connection limit -------------------------------------------------------------------
sed 's/^connections_per_address = 0 .*/connections_per_address = 2/' etc/cluster.conf > "$T/conns.conf"
reload_nginx "$T/conns.conf"
for i in $(seq 1 200); do echo "POST /api/events/abuse/reservations user_id=conn$i"; done | race 100 "$T/conns"
check "100 connections at once from one address: some refused 429 ($(grep -c ' 429$' "$T/conns/results"))" test "$(grep -c ' 429$' "$T/conns/results")" -ge 1
check_eq "and nothing else failed" 0 "$(awk '$2 != 201 && $2 != 429' "$T/conns/results" | wc -l)"
other=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' --interface 127.0.0.3 -H "Authorization: Bearer $(token other2)" -X POST -d user_id=other2 "$BASE_URL/api/events/abuse/reservations")
check_eq "another address is served" 201 "$other"

# --- Redis: ACL users, no TCP ----------------------------------------------------------
as_user() { local u=$1; shift; REDISCLI_AUTH=$(cut -d: -f2 "$VAR/secrets/redis-$u.pass") redis-cli -s "$REDIS_SOCK" --user "$u" "$@" 2>&1; }
check_eq "the workers' Redis user reads an event (the control)" 100000 "$(as_user worker hget 'ev:{abuse}' total)"
check "the workers' Redis user cannot FLUSHALL" grep -q NOPERM <<< "$(as_user worker flushall)"
check "nor CONFIG" grep -q NOPERM <<< "$(as_user worker config get requirepass)"
check "nor read keys outside the events" grep -q NOPERM <<< "$(as_user worker hget seckill:events x)"
check "the reconciler's user lists the events (the control)" grep -qx abuse <<< "$(as_user reconciler smembers seckill:events)"
check "the reconciler's user cannot FLUSHALL" grep -q NOPERM <<< "$(as_user reconciler flushall)"
check "nor run arbitrary scripts' commands (KEYS)" grep -q NOPERM <<< "$(as_user reconciler keys '*')"
check_eq "Redis listens on no TCP port" 0 "$(redis_cli config get port | tail -1)"
check_eq "its socket's directory is private" 700 "$(stat -c %a "$VAR/run")"
check "without a password Redis refuses" grep -q NOAUTH <<< "$(redis-cli -s "$REDIS_SOCK" ping 2>&1)"

# --- MariaDB users ------------------------------------------------------------------------
# Each refusal must be MariaDB's own (ERROR 1142: command denied; 1045:
# access denied), next to a control that succeeds with the same options
# file or address: a missing file or a server down fails with other errors.
as_mysql() { mariadb --defaults-file="$VAR/secrets/mysql-$1.cnf" seckill -N -e "$2" 2>&1; }
check "the reporter reads orders (the control)" grep -Eqx '[0-9]+' <<< "$(as_mysql reporter 'SELECT COUNT(*) FROM orders')"
check "the reporter cannot write (ERROR 1142, DELETE denied)" \
  grep -q "^ERROR 1142 .*DELETE command denied to user 'reporter'" <<< "$(as_mysql reporter 'DELETE FROM orders')"
check "the reconciler writes orders (the control: an UPDATE of no row)" \
  test -z "$(as_mysql reconciler 'UPDATE orders SET status = status WHERE 0')"
check "the reconciler cannot delete orders (ERROR 1142)" \
  grep -q "^ERROR 1142 .*DELETE command denied to user 'reconciler'" <<< "$(as_mysql reconciler 'DELETE FROM orders')"
check "nor drop tables (ERROR 1142)" \
  grep -q "^ERROR 1142 .*DROP command denied to user 'reconciler'" <<< "$(as_mysql reconciler 'DROP TABLE events')"
check_eq "no anonymous accounts" 0 "$(mysql_root -N -e "SELECT COUNT(*) FROM mysql.global_priv WHERE User=''")"
check_eq "MariaDB answers over TCP on 127.0.0.1:$MYSQL_PORT (the control: the reporter's options file)" \
  "127.0.0.1 via TCP/IP" "$(as_mysql reporter 'SELECT 1' > /dev/null && mariadb --defaults-file="$VAR/secrets/mysql-reporter.cnf" -e status 2>&1 | sed -n 's/^Connection:[[:space:]]*//p')"
check "root cannot log in over TCP (ERROR 1045, access denied)" \
  grep -q "^ERROR 1045 .*Access denied for user 'root'" <<< "$(mariadb --no-defaults -h 127.0.0.1 -P "$MYSQL_PORT" -u root -e 'SELECT 1' 2>&1)"

# --- secrets ---------------------------------------------------------------------------------
bad=$(find "$VAR/secrets" -type f ! -perm 600 | wc -l)
check_eq "every secret file is mode 0600" 0 "$bad"
check "git lists the tree's files (the control)" test "$(git -C "$ROOT" ls-files | wc -l)" -gt 10
check "no secret is in git" sh -c "! git -C '$ROOT' ls-files | grep -q secrets"
cut -d: -f2 "$VAR/secrets/redis-worker.pass" > "$T/pattern"; cat "$VAR/secrets/redis.pass" >> "$T/pattern"
check_eq "the secrets to look for: two, none empty" 2 "$(grep -c . "$T/pattern")"
check "no secret on a process command line" sh -c "! cat /proc/[0-9]*/cmdline 2>/dev/null | grep -qaF -f '$T/pattern'"

finish
