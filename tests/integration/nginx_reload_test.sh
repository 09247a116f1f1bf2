#!/usr/bin/env bash
# nginx_reload_test — fault 3 of docs/reliability.md: nginx reloaded with
# new weights mid-sale (the HUP sent while tickets were left and clients
# were sending; tests/lib.sh's sale_with):
#   - the clients see only 201, 409 and 429; every ticket sold once, every
#     order a client was told of in MySQL (check_sale)
#   - the reload happened: nginx's workers were replaced by new ones
#   - the new weights apply: n1 (now 4) sells about 4 times n4 (now 1)
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis mysql pools nginx
sed 's/^weight = 4$/weight = X/; s/^weight = 1$/weight = 4/; s/^weight = X$/weight = 1/' "$CLUSTER" > "$T/cluster-reversed.conf"

# reload_reversed: the fault, a quick action: HUP nginx with the reversed
# weights (scripts/stack reload returns once the HUP is sent).
reload_reversed() {
  OLD_NGINX=$(nginx_workers)
  SECKILL_CLUSTER=$T/cluster-reversed.conf "$ROOT/scripts/stack" reload > /dev/null
}
sale_with f3 1500 2500 reload_reversed
# shellcheck disable=SC2016 # expanded by eval, in check_within
check_within 10 "[f3] nginx reloaded: its workers ($OLD_NGINX) replaced by new ones" eval 'replaced "$OLD_NGINX" "$(nginx_workers)"'
only_answers f3 201 409 429
check_sale f3 1500

# The reloaded weights (n1 now 4, n4 now 1) apply: 500 more reservations.
create_event f3b 100000
d=$(buy f3b 1 500 20)
n1=$(cat "$d"/[0-9]* | grep -c '"node":"n1"'); n4=$(cat "$d"/[0-9]* | grep -c '"node":"n4"')
check "[f3] after the reload n1 (weight 4) sells about 4 times n4 (weight 1): $n1 and $n4 of 500" \
  test "$n1" -ge 170 -a "$n1" -le 230 -a "$n4" -ge 35 -a "$n4" -le 65

finish
