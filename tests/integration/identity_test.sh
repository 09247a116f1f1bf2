#!/usr/bin/env bash
# identity_test — buyers are who their token says, through nginx and the pools [stack]:
#   - the stack made its sign-in key pair (0600, var/secrets) and its rendered
#     cluster config names the public key; seckill-admin token mints one token
#     per user, in order;
#   - the issue's attack: a user_id sent by anyone is no identity: no token
#     401 with WWW-Authenticate: Bearer; another user's token with u1's
#     user_id reserves for that user, never u1; u1's order cannot be seen,
#     paid or cancelled by anyone else (404) nor without a token (401);
#   - the 429 names the held order to its owner;
#   - /buy/ticket is anonymous on the local stack, its orders nobody's;
#   - the sold-out answer comes from nginx without a token;
#   - the demo sign-in (seckill-signin, on in the local stack): a name gets a
#     token that reserves as that name; bad names 400; the private key is
#     open in no pool worker.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis pools nginx

# --- the stack's key and config -----------------------------------------------------
check_eq "the private key is 0600" 600 "$(stat -c %a "$VAR/secrets/identity-local.key")"
check "the rendered cluster config names the public key" \
  grep -qx "key local = RS256 $VAR/secrets/identity-local.pub" "$VAR/cluster.conf"
check_eq "the local stack's /buy/ticket is anonymous" on "$(admin sale-setting anonymous_buy_ticket --cluster "$VAR/cluster.conf")"
check_eq "the shipped config's (deploy's) is not" off "$(admin sale-setting anonymous_buy_ticket --cluster "$ROOT/etc/cluster.conf")"
printf 'a1\na2\na3\n' > "$T/users"
admin token --key "$VAR/secrets/identity-local.key" --users-file "$T/users" > "$T/tokens"
check_eq "seckill-admin token: one token per user" 3 "$(sort -u "$T/tokens" | wc -l)"
check_eq "in the users' order" "a1 a2 a3" \
  "$(while read -r t; do cut -d. -f2 <<< "$t" | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .sub; done < "$T/tokens" | tr '\n' ' ' | sed 's/ $//')"
# shellcheck disable=SC2016 # expanded by eval
check "seckill-admin token refuses a bad user id (exit 1)" eval '! admin token --key "$VAR/secrets/identity-local.key" --user "a b" 2>/dev/null'

# --- the attack of issue 12 ----------------------------------------------------------
create_event idt 5
TOKEN=none http POST /api/events/idt/reservations user_id=u1
check_eq "a user_id without a token: 401" 401 "$STATUS"
check_eq "its body" '{"error":"unauthorized","message":"sign in: send Authorization: Bearer <token>"}' "$BODY"
check "with WWW-Authenticate: Bearer" grep -qi '^WWW-Authenticate: Bearer' <<< "$HEADERS"
http POST /api/events/idt/reservations user_id=u1
check_eq "u1 signed in reserves: 201" 201 "$STATUS"
order=$(jq -r .order_id <<< "$BODY")
check_eq "the order is u1's" u1 "$(jq -r .user_id <<< "$BODY")"
TOKEN=$(token u2) http POST /api/events/idt/reservations user_id=u1
check_eq "u2's token with user_id=u1 reserves for u2, not u1 (no 429 naming u1's order)" "201 u2" "$STATUS $(jq -r .user_id <<< "$BODY")"
http POST /api/events/idt/reservations user_id=u1
check_eq "u1 again: 429" 429 "$STATUS"
check_eq "the 429 names u1's order to u1" "$order" "$(jq -r .order_id <<< "$BODY")"
for what in "GET /api/orders/$order" "POST /api/orders/$order/payment" "POST /api/orders/$order/cancellation"; do
  read -r m p <<< "$what"
  TOKEN=$(token u2) http "$m" "$p" user_id=u1
  check_eq "$m ${p/$order/ORDER} as u2 (user_id=u1): 404" 404 "$STATUS"
  TOKEN=none http "$m" "$p" user_id=u1
  check_eq "$m ${p/$order/ORDER} without a token: 401" 401 "$STATUS"
done
http GET "/api/orders/$order?user_id=u1"
check_eq "u1's order is still reserved, u1 sees it" "200 reserved" "$STATUS $(jq -r .status <<< "$BODY")"
http POST "/api/orders/$order/cancellation" user_id=u1
check_eq "u1 cancels it: 200" 200 "$STATUS"

# --- /buy/ticket: anonymous ------------------------------------------------------------
create_event "$(admin sale-setting default_event --cluster "$VAR/cluster.conf")" 3
TOKEN=none http GET /buy/ticket
anon=$(jq -r .user_id <<< "$BODY"); aorder=$(jq -r .order_id <<< "$BODY")
check_eq "/buy/ticket with no token sells (code 1)" 1 "$(jq -r .code <<< "$BODY")"
check "to a made-up anonymous user ($anon)" grep -q '^anon-[0-9a-f]\{16\}$' <<< "$anon"
TOKEN=$(token u1) http GET /buy/ticket user_id=u1
check "a token and a user_id change nothing: another anonymous user" test "$(jq -r .user_id <<< "$BODY")" != "$anon" -a "$(jq -r .user_id <<< "$BODY")" != u1
http GET "/api/orders/$aorder?user_id=u1"
check_eq "an anonymous order cannot be viewed (404 to a signed-in user)" 404 "$STATUS"
check_eq "nor paid" 404 "$(http POST "/api/orders/$aorder/payment" user_id=u1; echo "$STATUS")"
check_eq "no token names an anonymous user (401)" 401 \
  "$(TOKEN=$(admin token --key "$VAR/secrets/identity-local.key" --user "$anon") http GET "/api/orders/$aorder"; echo "$STATUS")"

# --- sold out: nginx's answer, no token needed ---------------------------------------------
create_event tiny 1
http POST /api/events/tiny/reservations user_id=t1
http POST /api/events/tiny/reservations user_id=t2
check_eq "the second buyer of one ticket: 409" 409 "$STATUS"
check_within 5 "the sold-out flag is up" soldout_flag tiny
TOKEN=none http POST /api/events/tiny/reservations
check_eq "sold out: 409 from nginx without a token" '409 {"error":"sold_out"}' "$STATUS $BODY"

# --- the demo sign-in ------------------------------------------------------------------
signin() { curl -s -S --max-time 10 -o "$T/signin.json" -w '%{http_code}' "$@" "$BASE_URL/demo/sign-in"; }
check_eq "POST /demo/sign-in name=carol: 200" 200 "$(signin -X POST --data name=carol)"
check_eq "it answers a Bearer token for carol" "Bearer carol" "$(jq -r '"\(.token_type) \(.user_id)"' "$T/signin.json")"
TOKEN=$(jq -r .token "$T/signin.json") http POST /api/events/idt/reservations
check_eq "that token reserves as carol" "201 carol" "$STATUS $(jq -r .user_id <<< "$BODY")"
check_eq "a bad name: 400" 400 "$(signin -X POST --data 'name=a/b')"
check_eq "an anonymous name: 400" 400 "$(signin -X POST --data name=anon-0123456789abcdef)"
check_eq "GET: 405" 405 "$(signin)"
signin_pid=$(cat "$VAR/run/signin.pid" 2>/dev/null)
check "the sign-in runs (multiwatch pid ${signin_pid:-none})" test -n "$signin_pid"
# shellcheck disable=SC2016 # expanded by eval
check "no pool worker's command line names the private key (the rendered config names only the public one)" \
  eval '! pgrep -af "seckill-worker.*$VAR" | grep -q identity-local.key'
finish
