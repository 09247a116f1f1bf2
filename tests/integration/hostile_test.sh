#!/usr/bin/env bash
# hostile_test — hostile clients through nginx:
#   - a corpus of hostile requests: each gets a 4xx JSON answer (a NUL in
#     the request line too); the stock is untouched and no worker dies
#   - hostile tokens: none, truncated, a wrong signature, alg none, expired,
#     a far-future nbf, 8 KB, another user's in a user_id field, header
#     injection: each a 401 (or nginx's 400) with WWW-Authenticate, and
#     nothing reserved
#   - slow clients, more than the workers, each send a body a byte every
#     quarter second; while they are all still sending, others are served
#     at once; the slow ones are served too, once their body is in
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis pools nginx
create_event hostile 10
workers_before=$(pgrep -f "seckill-worker.*$VAR" | sort | tr '\n' ' ')

# expect NAME WANT_STATUS CURL_ARGS...: the answer is WANT_STATUS with a JSON body.
expect() {
  local name=$1 want=$2 out status body; shift 2
  out=$(curl -s -S --max-time 10 -o "$T/body" -w '%{http_code}' "$@" 2>&1)
  status=$out; body=$(cat "$T/body" 2>/dev/null)
  if [ "$status" = "$want" ] && jq -e 'type == "object"' <<< "$body" > /dev/null 2>&1; then ok "$name -> $want JSON"
  else not_ok "$name" "want $want JSON, got $status: ${body:0:120}"; fi
}
R=$BASE_URL/api/events/hostile/reservations
# A signed-in client (user h1): the corpus below is about what else is wrong.
A=(-H "Authorization: Bearer $(token h1)")
big=$T/big; head -c 3000000 /dev/zero | tr '\0' 'a' > "$big"

expect "a 3 MB body"                      413 "${A[@]}" -X POST --data-binary "@$big" "$R"
expect "a body over the worker's limit"   413 "${A[@]}" -X POST --data "user_id=a&pad=$(head -c 5000 /dev/zero | tr '\0' b)" "$R"
expect "an overlong user id, no token"    401 -X POST --data "user_id=$(head -c 65 /dev/zero | tr '\0' u)" "$R"
expect "an invalid user id, no token"     401 -X POST --data "user_id=a%2Fb" "$R"
expect "no user id, no token"             401 -X POST --data "x=1" "$R"
expect "an empty user id, no token"       401 -X POST --data "user_id=" "$R"
expect "bad percent-encoding"             400 "${A[@]}" -X POST --data "user_id=%zz" "$R"
expect "truncated percent-encoding"       400 "${A[@]}" -X POST --data "user_id=ab%4" "$R"
expect "an encoded NUL"                   400 "${A[@]}" -X POST --data "user_id=a%00b" "$R"
expect "a control byte, no token"         401 -X POST --data-binary $'user_id=a\x01b' "$R"
expect "user_id twice"                    400 "${A[@]}" -X POST --data "user_id=a&user_id=b" "$R"
expect "a JSON body"                      415 "${A[@]}" -X POST -H 'Content-Type: application/json' --data '{"user_id":"a"}' "$R"
expect "an overlong event id"             400 "${A[@]}" -X POST --data "user_id=a" "$BASE_URL/api/events/$(head -c 65 /dev/zero | tr '\0' e)/reservations"
expect "an event id with a dot-dot"       404 "${A[@]}" -X POST --data "user_id=a" "$BASE_URL/api/events/../reservations"
expect "path traversal"                   400 --path-as-is "$BASE_URL/api/../../etc/passwd"
expect "encoded path traversal"           404 "$BASE_URL/api/events/%2e%2e%2f%2e%2e%2fetc%2fpasswd"
expect "an unknown path"                  404 "$BASE_URL/admin"
expect "GET on reservations"              405 "${A[@]}" "$R?user_id=a"
expect "DELETE on an order"               405 "${A[@]}" -X DELETE "$BASE_URL/api/orders/hostile-00000000000000000000000000000000?user_id=a"
expect "an unknown method"                405 "${A[@]}" -X BREW "$R"
expect "a malformed order id"             404 "${A[@]}" "$BASE_URL/api/orders/not-an-order?user_id=a"
expect "an order of an unknown event"     404 "${A[@]}" "$BASE_URL/api/orders/nosuch-00000000000000000000000000000000?user_id=a"
expect "an overlong order id"             400 "${A[@]}" "$BASE_URL/api/orders/$(head -c 3000 /dev/zero | tr '\0' o)?user_id=a"
expect "too many parameters"              400 "$BASE_URL/api/events/hostile?$(for i in $(seq 1 20); do printf 'k%d=v&' "$i"; done)"
expect "an oversized header"              400 -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' h)" "$R"
expect "an overlong URI"                  414 "$BASE_URL/api/events/$(head -c 20000 /dev/zero | tr '\0' e)"

# --- hostile tokens -------------------------------------------------------------
# expect_401 NAME CURL_ARGS...: a 401 {"error":"unauthorized"} with WWW-Authenticate: Bearer.
expect_401() {
  local name=$1 out; shift
  out=$(curl -s -S -i --max-time 10 -X POST --data user_id=h1 "$@" "$R" 2>&1)
  if [[ $(head -1 <<< "$out") == "HTTP/1.1 401"* ]] && grep -qi '^WWW-Authenticate: Bearer' <<< "$out" &&
     [ "$(sed '1,/^\r$/d' <<< "$out" | jq -r .error 2>/dev/null)" = unauthorized ]; then ok "$name -> 401 unauthorized, WWW-Authenticate: Bearer"
  else not_ok "$name" "got: $(head -1 <<< "$out" | tr -d '\r') $(sed '1,/^\r$/d' <<< "$out" | head -c 120)"; fi
}
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
good=$(token h1)
now=$(date +%s)
"$BUILD/seckill-admin" keygen --private "$T/other.key" --public "$T/other.pub" > /dev/null
claims=$(printf '{"sub":"h1","exp":%d}' $((now + 600)) | b64url)
expect_401 "no token"                              -H "X-User: h1"
expect_401 "a user_id field and no token"
expect_401 "an empty bearer"                       -H "Authorization: Bearer "
expect_401 "another scheme"                        -H "Authorization: Basic aDE6eA=="
expect_401 "a truncated token"                     -H "Authorization: Bearer ${good:0:$((${#good} - 12))}"
expect_401 "a token cut after its claims"          -H "Authorization: Bearer ${good%.*}"
expect_401 "a wrong signature (another key)"       -H "Authorization: Bearer $("$BUILD/seckill-admin" token --key "$T/other.key" --user h1)"
expect_401 "the claims changed under a signature"  -H "Authorization: Bearer ${good%%.*}.$claims.${good##*.}"
expect_401 "alg none"                              -H "Authorization: Bearer $(printf '{"alg":"none","kid":"local"}' | b64url).$claims."
expect_401 "alg none, no kid"                      -H "Authorization: Bearer $(printf '{"alg":"none"}' | b64url).$claims."
expect_401 "alg HS256 (key confusion)"             -H "Authorization: Bearer $(printf '{"alg":"HS256","kid":"local"}' | b64url).$claims.$(printf x | b64url)"
expect_401 "an expired token"                      -H "Authorization: Bearer $("$BUILD/seckill-admin" token --key "$VAR/secrets/identity-local.key" --user h1 --now $((now - 7200)) --ttl 600)"
expect_401 "a far-future nbf"                      -H "Authorization: Bearer $("$BUILD/seckill-admin" token --key "$VAR/secrets/identity-local.key" --user h1 --not-before $((now + 86400 * 365)))"
expect_401 "a token issued in the future"          -H "Authorization: Bearer $("$BUILD/seckill-admin" token --key "$VAR/secrets/identity-local.key" --user h1 --now $((now + 3600)))"
expect_401 "an anonymous subject"                  -H "Authorization: Bearer $("$BUILD/seckill-admin" token --key "$VAR/secrets/identity-local.key" --user anon-0123456789abcdef)"
expect_401 "an encoded CR LF in the token"         -H "Authorization: Bearer $good%0d%0aX-User:%20mallory"
expect_401 "two tokens in one header"              -H "Authorization: Bearer $good, Bearer $(token h2)"
expect_401 "a 4 KB token"                          -H "Authorization: Bearer $(head -c 4200 /dev/zero | tr '\0' A).$claims.x"
# 8 KB: past nginx's header line limit (large_client_header_buffers 8k), nginx's own 400.
expect "an 8 KB token"                    400 -X POST -H "Authorization: Bearer $(head -c 8200 /dev/zero | tr '\0' A)" --data user_id=h1 "$R"
# Header injection on the wire: a folded continuation line (obs-fold) and a
# bare LF inside the Authorization header; nginx refuses or the worker does.
inject() {
  { exec 3<>"/dev/tcp/127.0.0.1/$PORT"
    printf 'POST /api/events/hostile/reservations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s%s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9\r\nConnection: close\r\n\r\nuser_id=a' "$1" "$2" >&3
    head -c 300 <&3; } 2>/dev/null | head -1 | tr -d '\r'
}
for how in folded lf; do
  case $how in folded) tail=$'\r\n X-User: mallory' ;; lf) tail=$'\nX-User: mallory' ;; esac
  line=$(inject "${good:0:20}" "$tail")
  case $line in "HTTP/1.1 400"*|"HTTP/1.1 401"*) ok "header injection ($how) -> ${line#HTTP/1.1 }" ;; *) not_ok "header injection ($how)" "got '$line'" ;; esac
done

# A raw request with a NUL byte in the request line.
raw=$( { exec 3<>"/dev/tcp/127.0.0.1/$PORT"; printf 'GET /api/events/hos\0tile HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3; head -c 200 <&3; } 2>/dev/null | head -1)
case $raw in "HTTP/1.1 4"*) ok "a NUL in the request line -> 4xx" ;; *) not_ok "a NUL in the request line" "got '$raw'" ;; esac

http GET /api/events/hostile
check_eq "the stock is untouched (no token reserved anything)" '{"event":"hostile","remaining":10,"sold":0,"sold_out":false,"total":10}' \
  "$(jq -c 'del(.opens_at, .closes_at)' <<< "$BODY")"
check_eq "no worker died" "$workers_before" "$(pgrep -f "seckill-worker.*$VAR" | sort | tr '\n' ' ')"
http POST /api/events/hostile/reservations user_id=legit
check_eq "a legitimate request is still served" 201 "$STATUS"

# --- slow clients -------------------------------------------------------------------------
# slow_client N: POSTs user_id=slowN, its body a byte every 0.25 s (about 3 s
# in all); writes the answer's status line to $T/slow.N (bounded: 10 s for the answer).
slow_client() {
  local body="user_id=slow$1" i line=''
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  printf 'POST /api/events/slow/reservations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' "${TOKENS[slow$1]}" "${#body}" >&3
  for ((i = 0; i < ${#body}; i++)); do printf '%s' "${body:i:1}" >&3; sleep 0.25; done
  read -r -t 10 line <&3
  printf '%s\n' "${line%$'\r'}" > "$T/slow.$1"
  exec 3>&-
}
create_event slow 100
tokens_for $(seq -f 'slow%g' 1 64) $(seq -f 'quick%g' 1 10)
nworkers=$(for n in $(admin nodes --cluster "$CLUSTER" | awk '{print $1}'); do pool_workers "$n"; done | wc -w)
nslow=$((nworkers + 4))
t0=$(date +%s%N)
slow=()
for n in $(seq 1 "$nslow"); do slow_client "$n" & slow+=($!); done
fast=0 slowest=0
for i in $(seq 1 10); do
  read -r code secs < <(curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer ${TOKENS[quick$i]}" -X POST -d "user_id=quick$i" "$BASE_URL/api/events/slow/reservations")
  [ "$code" = 201 ] && fast=$((fast + 1))
  slowest=$(awk -v a="$slowest" -v b="$secs" 'BEGIN {print (b > a ? b : a)}')
done
sending=0; for p in "${slow[@]}"; do proc_alive "$p" && sending=$((sending + 1)); done
check_eq "$nslow slow clients (more than the pools' $nworkers workers) were all still sending" "$nslow" "$sending"
check "meanwhile 10 other requests were each served (201) within 0.5 s ($fast served, slowest $slowest s)" \
  awk -v n="$fast" -v t="$slowest" 'BEGIN {exit !(n == 10 && t < 0.5)}'
wait "${slow[@]}"
took=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq "the slow clients were served too, once their body was in (201 each, after $took ms)" "$nslow" \
  "$(cat "$T"/slow.* 2>/dev/null | grep -c '^HTTP/1.1 201 ')"
check "they were slow: over 3 s from first to last byte ($took ms)" test "$took" -ge 3000
check_eq "no worker died" "$workers_before" "$(pgrep -f "seckill-worker.*$VAR" | sort | tr '\n' ' ')"
finish
