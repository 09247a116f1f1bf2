#!/usr/bin/env bash
# hostile_test — a corpus of hostile requests through nginx: each gets a 4xx
# JSON answer, the stock is untouched and no worker dies.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis pools nginx
create_event hostile 10
workers_before=$(pgrep -f "seckill-worker.*$VAR" | sort | tr '\n' ' ')

# expect NAME WANT_STATUS CURL_ARGS...: the answer is WANT_STATUS with a JSON body.
expect() {
  local name=$1 want=$2 out status body; shift 2
  out=$(curl -s -S -o /tmp/hostile.$$ -w '%{http_code}' "$@" 2>&1)
  status=$out; body=$(cat /tmp/hostile.$$ 2>/dev/null)
  if [ "$status" = "$want" ] && jq -e 'type == "object"' <<< "$body" > /dev/null 2>&1; then ok "$name -> $want JSON"
  else not_ok "$name" "want $want JSON, got $status: ${body:0:120}"; fi
}
R=$BASE_URL/api/events/hostile/reservations
big=$(mktemp); head -c 3000000 /dev/zero | tr '\0' 'a' > "$big"

expect "a 3 MB body"                      413 -X POST --data-binary "@$big" "$R"
expect "a body over the worker's limit"   413 -X POST --data "user_id=a&pad=$(head -c 5000 /dev/zero | tr '\0' b)" "$R"
expect "an overlong user id"              400 -X POST --data "user_id=$(head -c 65 /dev/zero | tr '\0' u)" "$R"
expect "an invalid user id"               400 -X POST --data "user_id=a%2Fb" "$R"
expect "no user id"                       400 -X POST --data "x=1" "$R"
expect "an empty user id"                 400 -X POST --data "user_id=" "$R"
expect "bad percent-encoding"             400 -X POST --data "user_id=%zz" "$R"
expect "truncated percent-encoding"       400 -X POST --data "user_id=ab%4" "$R"
expect "an encoded NUL"                   400 -X POST --data "user_id=a%00b" "$R"
expect "a raw NUL in the body"            400 -X POST --data-binary $'user_id=a\x01b' "$R"
expect "user_id twice"                    400 -X POST --data "user_id=a&user_id=b" "$R"
expect "a JSON body"                      415 -X POST -H 'Content-Type: application/json' --data '{"user_id":"a"}' "$R"
expect "an overlong event id"             400 -X POST --data "user_id=a" "$BASE_URL/api/events/$(head -c 65 /dev/zero | tr '\0' e)/reservations"
expect "an event id with a dot-dot"       404 -X POST --data "user_id=a" "$BASE_URL/api/events/../reservations"
expect "path traversal"                   400 --path-as-is "$BASE_URL/api/../../etc/passwd"
expect "encoded path traversal"           404 "$BASE_URL/api/events/%2e%2e%2f%2e%2e%2fetc%2fpasswd"
expect "an unknown path"                  404 "$BASE_URL/admin"
expect "GET on reservations"              405 "$R?user_id=a"
expect "DELETE on an order"               405 -X DELETE "$BASE_URL/api/orders/hostile-00000000000000000000000000000000?user_id=a"
expect "an unknown method"                405 -X BREW "$R"
expect "a malformed order id"             404 "$BASE_URL/api/orders/not-an-order?user_id=a"
expect "an order of an unknown event"     404 "$BASE_URL/api/orders/nosuch-00000000000000000000000000000000?user_id=a"
expect "an overlong order id"             400 "$BASE_URL/api/orders/$(head -c 3000 /dev/zero | tr '\0' o)?user_id=a"
expect "too many parameters"              400 "$BASE_URL/api/events/hostile?$(for i in $(seq 1 20); do printf 'k%d=v&' $i; done)"
expect "an oversized header"              400 -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' h)" "$R"
expect "an overlong URI"                  414 "$BASE_URL/api/events/$(head -c 20000 /dev/zero | tr '\0' e)"

# A raw request with a NUL byte in the request line.
raw=$( { exec 3<>"/dev/tcp/127.0.0.1/$PORT"; printf 'GET /api/events/hos\0tile HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3; head -c 200 <&3; } 2>/dev/null | head -1)
case $raw in "HTTP/1.1 4"*) ok "a NUL in the request line -> 4xx" ;; *) not_ok "a NUL in the request line" "got '$raw'" ;; esac

# A slow client that sends half a body and stops: nginx times it out; the
# workers never see it.
{ exec 3<>"/dev/tcp/127.0.0.1/$PORT"; printf 'POST /api/events/hostile/reservations HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nuser_id=sl' >&3; } 2>/dev/null &
slow=$!

http GET /api/events/hostile
check_eq "the stock is untouched" '{"event":"hostile","remaining":10,"sold":0,"sold_out":false,"total":10}' "$BODY"
check_eq "no worker died" "$workers_before" "$(pgrep -f "seckill-worker.*$VAR" | sort | tr '\n' ' ')"
http POST /api/events/hostile/reservations user_id=legit
check_eq "a legitimate request is still served" 201 "$STATUS"
kill "$slow" 2>/dev/null; wait 2>/dev/null
rm -f "$big" /tmp/hostile.$$
finish
