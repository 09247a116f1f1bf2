#!/usr/bin/env bash
# monitoring_test — the monitoring kit (deploy/prometheus, docs/operations.md
# "Monitoring"): promtool passes the deploy's config, its rules and their
# unit tests, and the stack's rendered config; one scrape of the admin
# /metrics answers for every node of the host, passes promtool check metrics,
# has every series from zero and no pid label; a killed worker adds one to
# its node's start counter; the reconciler's last success outlives a failed
# run; Debian's nginx, Redis and mysqld exporters run with the deploy's
# arguments against the stack (the nginx exporter's own names do not pass
# promtool's lint: "_total" suffix); the stack's Prometheus
# scrapes the host, loads the rules, and a stopped pool raises SeckillPoolDown.
. "$(dirname "$0")/../lib.sh"
export SECKILL_PROMETHEUS_PORT
SECKILL_PROMETHEUS_PORT=$(free_port)
start_stack redis mysql pools nginx prometheus
T=$(mktemp -d)
KIT=$ROOT/deploy/prometheus
PROM=http://127.0.0.1:$SECKILL_PROMETHEUS_PORT
EXPORTERS=()
cleanup() {
  local p; for p in "${EXPORTERS[@]}"; do kill "$p" 2>/dev/null; done
  stop_stack; rm -rf "$T"
}
trap cleanup EXIT
mapfile -t nodes < <(admin nodes --cluster "$CLUSTER" | awk '{print $1}')
procs_of() { admin nodes --cluster "$CLUSTER" | awk -v n="$1" '$1 == n {print $3}'; }
# sample FILE NAME [LABELS]: the value of NAME{LABELS} (NAME alone without
# labels) in FILE; empty when absent
sample() { awk -v h="$2${3:+{$3\}}" '$1 == h {print $2}' "$1"; }

# --- promtool on the kit --------------------------------------------------------
check "promtool check config: deploy/prometheus/prometheus.yml" promtool check config "$KIT/prometheus.yml"
check "promtool check rules: deploy/prometheus/seckill-rules.yml" promtool check rules "$KIT/seckill-rules.yml"
check "promtool test rules: each alert fires on its series, not on a healthy sale" promtool test rules "$KIT/seckill-rules.test.yml"
check "promtool check config: the stack's rendered config" promtool check config "$VAR/prometheus/prometheus.yml"

# --- one scrape per host ----------------------------------------------------------
curl -s "$ADMIN_URL/metrics" > "$T/zero"
check "the host's scrape passes promtool check metrics" promtool check metrics < "$T/zero"
check_eq "it answers for every node of the host" "${#nodes[@]}" "$(grep -c '^seckill_workers{' "$T/zero")"
check_eq "each family is declared once" 0 "$(grep '^# TYPE' "$T/zero" | sort | uniq -d | wc -l)"
check_eq "every endpoint x outcome counter is there from zero, for every node" \
  "$(( ${#nodes[@]} * 11 * 12 ))" "$(grep -c '^seckill_requests_total{' "$T/zero")"  # 11 endpoints x 12 outcomes (not_open, unauthorized: issue 12)
check_eq "no reservation counted yet" 0 "$(grep '^seckill_requests_total{.*endpoint="reserve"' "$T/zero" | awk '{s += $2} END {print s + 0}')"
check "no pid label" bash -c "! grep -q 'pid=' '$T/zero'"
for n in "${nodes[@]}"; do
  check_eq "node $n: its configured processes are alive" "$(procs_of "$n")" "$(sample "$T/zero" seckill_workers "node=\"$n\"")"
  check_eq "node $n: and started once each" "$(procs_of "$n")" "$(sample "$T/zero" seckill_worker_starts_total "node=\"$n\"")"
done
check_eq "the public port has no /metrics" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/metrics")"
check_eq "/metrics takes GET only" 405 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$ADMIN_URL/metrics")"

# A sale: the per-event gauges appear, and the host's counters add up.
create_event mon 10
buy mon 1 15 5 > /dev/null
curl -s "$ADMIN_URL/metrics" > "$T/sale"
check_eq "the nodes' taken tickets add up to the 10 sold" 10 \
  "$(grep '^seckill_node_taken_tickets{.*event="mon"' "$T/sale" | awk '{s += $2} END {print s + 0}')"
check_eq "10 reservations counted over the host" 10 \
  "$(grep '^seckill_requests_total{.*endpoint="reserve",outcome="reserved"' "$T/sale" | awk '{s += $2} END {print s + 0}')"

# A worker killed: its node counts one more start; no new series.
n1=${nodes[0]}
victim=$(pgrep -P "$(cat "$VAR/run/pool-$n1.pid")" | head -1)
kill -KILL "$victim"
for _ in $(seq 50); do
  curl -s "$ADMIN_URL/metrics" > "$T/restart"
  [ "$(sample "$T/restart" seckill_worker_starts_total "node=\"$n1\"")" = $(( $(procs_of "$n1") + 1 )) ] && break
  sleep 0.1
done
check_eq "a killed worker adds one start to node $n1" $(( $(procs_of "$n1") + 1 )) "$(sample "$T/restart" seckill_worker_starts_total "node=\"$n1\"")"
check_eq "and its replacement is alive" "$(procs_of "$n1")" "$(sample "$T/restart" seckill_workers "node=\"$n1\"")"
check_eq "the restart made no new series" "$(grep -vc '^#' "$T/sale")" "$(grep -vc '^#' "$T/restart")"

# --- the reconciler's last success, across runs -------------------------------------
reconcile --once --metrics-file "$T/reconciler.prom" > /dev/null
ok_at=$(sample "$T/reconciler.prom" seckill_reconciler_last_success_timestamp_seconds)
check "a successful run records its time" test "${ok_at%.*}" -gt 0
check "the reconciler's file passes promtool check metrics" promtool check metrics < "$T/reconciler.prom"
sleep 1
"$BUILD/seckill-reconciler" --once --redis "unix:$REDIS_SOCK" --redis-password-file "$VAR/secrets/redis-reconciler.pass" \
  --mysql-port "$(free_port)" --mysql-password-file "$VAR/secrets/mysql-reconciler.pass" --no-lock \
  --metrics-file "$T/reconciler.prom" > "$T/failed-run.log" 2>&1
check "a run that cannot reach MySQL fails" test $? -ne 0
check_eq "and keeps the earlier success time" "$ok_at" "$(sample "$T/reconciler.prom" seckill_reconciler_last_success_timestamp_seconds)"

# --- Debian's exporters, with the deploy's arguments ------------------------------
# args FILE: the ARGS of an env file of the kit, one per line (split on
# blanks, as systemd splits $ARGS).
# shellcheck disable=SC1090,SC2086
args() { (set -a; . "$1"; printf '%s\n' $ARGS); }
# exporter NAME PORT ARGS...: starts it (killed at exit), waits for its metrics.
exporter() {
  local name=$1 port=$2; shift 2
  "/usr/bin/prometheus-$name-exporter" "$@" > "$T/$name.log" 2>&1 &
  EXPORTERS+=($!)
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/metrics" > "$T/$name.prom" 2>/dev/null && return; sleep 0.1; done
}
p=$(free_port)
mapfile -t a < <(args "$KIT/prometheus-nginx-exporter.env" | sed "s|^http://127.0.0.1:8081/|$ADMIN_URL/|; s|^:9113$|127.0.0.1:$p|")
exporter nginx "$p" "${a[@]}"
check_eq "nginx exporter: reads the admin stub_status" 1 "$(sample "$T/nginx.prom" nginx_up)"
check "nginx exporter: counts the requests" grep -q '^nginx_http_requests_total [1-9]' "$T/nginx.prom"

p=$(free_port)
mapfile -t a < <(args "$KIT/prometheus-redis-exporter.env" | sed "s|^redis://127.0.0.1:6379$|unix://$REDIS_SOCK|; s|^:9121$|127.0.0.1:$p|")
REDIS_USER=default REDIS_PASSWORD=$(cat "$VAR/secrets/redis.pass") exporter redis "$p" "${a[@]}"
check_eq "redis exporter: reaches Redis" 1 "$(sample "$T/redis.prom" redis_up)"
check "redis exporter: reports maxmemory (the memory alert's divisor)" grep -q '^redis_memory_max_bytes ' "$T/redis.prom"
check "redis exporter: reports the start time (the restart alert)" grep -q '^redis_start_time_seconds ' "$T/redis.prom"

pw=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
sed "s/CHANGE-ME/$pw/; s/'localhost'/'127.0.0.1'/g" "$KIT/mysqld-exporter.sql" | mysql_root
sed "s/CHANGE-ME/$pw/; s|^socket = .*|host = 127.0.0.1\nport = $MYSQL_PORT|" "$KIT/mysqld-exporter.cnf" > "$T/mysqld-exporter.cnf"
p=$(free_port)
mapfile -t a < <(args "$KIT/prometheus-mysqld-exporter.env" | sed "s|^/etc/prometheus/mysqld-exporter.cnf$|$T/mysqld-exporter.cnf|; s|^:9104$|127.0.0.1:$p|")
exporter mysqld "$p" "${a[@]}"
check_eq "mysqld exporter: logs in with the deploy's user and grants" 1 "$(sample "$T/mysqld.prom" mysql_up)"

# --- the stack's Prometheus ---------------------------------------------------------
q() { curl -fs "$PROM/api/v1/query" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'; }
for _ in $(seq 100); do [ "$(q 'count(seckill_workers)')" = "${#nodes[@]}" ] && break; sleep 0.2; done
check_eq "Prometheus scrapes the host: every node's series" "${#nodes[@]}" "$(q 'count(seckill_workers)')"
check_eq "the scrape is up" 1 "$(q 'up{job="seckill"}')"
check_eq "the rules are loaded" "$(grep -c '^ *- alert:' "$KIT/seckill-rules.yml")" \
  "$(curl -fs "$PROM/api/v1/rules" | jq '[.data.groups[].rules[]] | length')"
last=${nodes[${#nodes[@]} - 1]}
stop_pid "$VAR/run/pool-$last.pid" "pool-$last" 10
state=""
for _ in $(seq 120); do
  state=$(curl -fs "$PROM/api/v1/alerts" | jq -r --arg n "$last" '.data.alerts[] | select(.labels.alertname == "SeckillPoolDown" and .labels.node == $n) | .state')
  [ -n "$state" ] && break
  sleep 0.25
done
check "a stopped pool ($last) raises SeckillPoolDown (state: ${state:-none})" test -n "$state"
check_eq "the other pools answer the scrape meanwhile" 0 "$(curl -s "$ADMIN_URL/metrics" | awk -v h="seckill_workers{node=\"$last\"}" '$1 == h {print $2}')"

finish
