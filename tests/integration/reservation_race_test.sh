#!/usr/bin/env bash
# reservation_race_test — many reservations at once through the real stack
# (nginx, spawn-fcgi pools, SQLite node counters, Redis):
#   - 2,000 concurrent users race for 100 tickets: exactly 100 win, distinct
#     orders, the rest 409; sold out in Redis, in GET, in nginx's flag
#   - 16 concurrent double-clicks by one user: one 201, fifteen 429s naming it
#   - 5,000 reservations spread over the pools by their weights 1:2:3:4
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis pools nginx

# --- 2,000 users, 100 tickets -------------------------------------------------
create_event race 100
for i in $(seq 1 2000); do echo "POST /api/events/race/reservations user_id=racer$i"; done | race 200 "$T/race"
check_eq "2000 users for 100 tickets: exactly 100 answered 201" 100 "$(grep -c ' 201$' "$T/race/results")"
check_eq "every other answer is 409" 1900 "$(grep -c ' 409$' "$T/race/results")"
ids=$(grep ' 201$' "$T/race/results" | while read -r n _; do jq -r .order_id "$T/race/$n"; done | sort -u | wc -l)
check_eq "the 100 order ids are distinct" 100 "$ids"
check_eq "Redis sold = 100" 100 "$(redis_cli hget 'ev:{race}' sold)"
check_eq "Redis holds 100 orders in the stream" 100 "$(redis_cli xlen 'ev:{race}:log')"
http GET /api/events/race
check_eq "GET event says sold out" '{"event":"race","remaining":0,"sold":100,"sold_out":true,"total":100}' \
  "$(jq -c 'del(.opens_at, .closes_at)' <<< "$BODY")"
check_within 2 "the sold-out flag is raised for nginx" soldout_flag race
http POST /api/events/race/reservations user_id=late
check_eq "after sold out nginx answers 409" "409 {\"error\":\"sold_out\"}" "$STATUS $BODY"

# --- one user, 16 double-clicks -------------------------------------------------
create_event clicks 50
for i in $(seq 1 16); do echo "POST /api/events/clicks/reservations user_id=clicker"; done | race 16 "$T/clicks"
check_eq "16 concurrent clicks by one user: one 201" 1 "$(grep -c ' 201$' "$T/clicks/results")"
check_eq "the other 15 are 429" 15 "$(grep -c ' 429$' "$T/clicks/results")"
held=$(grep ' 429$' "$T/clicks/results" | while read -r n _; do jq -r .order_id "$T/clicks/$n"; done | sort -u | paste -sd' ')
won=$(grep ' 201$' "$T/clicks/results" | { read -r n _; jq -r .order_id "$T/clicks/$n"; })
check_eq "every 429 names the order the user holds" "$won" "$held"

# --- shares against weights ------------------------------------------------------
create_event shares 100000
for i in $(seq 1 5000); do echo "POST /api/events/shares/reservations user_id=s$i"; done | race 100 "$T/shares"
check_eq "5000 reservations all succeed" 5000 "$(grep -c ' 201$' "$T/shares/results")"
for n in 1 2 3 4; do
  got=$(cat "$T"/shares/[0-9]* | grep -o "\"node\":\"n$n\"" | wc -l)
  want=$((5000 * n / 10))
  lo=$((want * 95 / 100)); hi=$((want * 105 / 100))
  if [ "$got" -ge "$lo" ] && [ "$got" -le "$hi" ]; then ok "node n$n sold $got, share $n/10 of 5000 within 5 %"
  else not_ok "node n$n share" "sold $got, want $lo..$hi"; fi
done

finish
