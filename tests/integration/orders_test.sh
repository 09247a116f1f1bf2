#!/usr/bin/env bash
# orders_test — the order endpoints through the real stack (docs/api.md):
#   - a reservation's answer: order_id (128 random bits), event, user,
#     node, expires_at, X-Node
#   - owner checks: another user can neither see, pay nor cancel an order
#   - payment (idempotent), cancellation (the ticket back in stock at once),
#     a paid order cannot be cancelled, a cancelled one cannot be paid (410);
#     a user may buy again after cancelling
#   - unknown orders and events are 404
#   - /buy/ticket, the seed's endpoint: no default event, anonymous sale,
#     sold out
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
start_stack redis pools nginx

# --- the order endpoints ----------------------------------------------------------
create_event orders 10 1 600
http POST /api/events/orders/reservations user_id=alice
check_eq "reservation is 201" 201 "$STATUS"
check "the 201 has order_id, event, user_id, node, expires_at" \
  jq -e '.order_id and .event == "orders" and .user_id == "alice" and .node and (.expires_at > 0)' <<< "$BODY"
check "the answer carries X-Node" grep -q '^X-Node: n[1-4]' <<< "$HEADERS"
oid=$(jq -r .order_id <<< "$BODY")
check "order ids carry 128 random bits" grep -Eq '^orders-[0-9a-f]{32}$' <<< "$oid"
http GET "/api/orders/$oid?user_id=mallory"
check_eq "another user cannot see the order" 404 "$STATUS"
http POST "/api/orders/$oid/payment" user_id=mallory
check_eq "another user cannot pay it" 404 "$STATUS"
http POST "/api/orders/$oid/cancellation" user_id=mallory
check_eq "another user cannot cancel it" 404 "$STATUS"
http GET "/api/orders/$oid?user_id=alice"
check_eq "the owner sees it reserved" reserved "$(jq -r .status <<< "$BODY")"
http POST "/api/orders/$oid/payment" user_id=alice
check_eq "payment is 200 paid" "200 paid" "$STATUS $(jq -r .status <<< "$BODY")"
http POST "/api/orders/$oid/payment" user_id=alice
check_eq "payment is idempotent" "200 paid" "$STATUS $(jq -r .status <<< "$BODY")"
http POST "/api/orders/$oid/cancellation" user_id=alice
check_eq "a paid order cannot be cancelled" 409 "$STATUS"
http POST /api/events/orders/reservations user_id=bob
oid2=$(jq -r .order_id <<< "$BODY")
http POST "/api/orders/$oid2/cancellation" user_id=bob
check_eq "cancellation is 200" "200 cancelled" "$STATUS $(jq -r .status <<< "$BODY")"
check_eq "the ticket is back in stock at once" 1 "$(sold orders)"
http POST "/api/orders/$oid2/payment" user_id=bob
check_eq "paying a cancelled order is 410" 410 "$STATUS"
http GET "/api/orders/$oid2?user_id=bob"
check_eq "the order shows cancelled" cancelled "$(jq -r .status <<< "$BODY")"
http POST /api/events/orders/reservations user_id=bob
check_eq "bob may buy again after cancelling" 201 "$STATUS"
http GET "/api/orders/orders-00000000000000000000000000000000?user_id=alice"
check_eq "an unknown order is 404" 404 "$STATUS"
http POST /api/events/nosuch/reservations user_id=alice
check_eq "an unknown event is 404" 404 "$STATUS"
http GET /buy/ticket
check_eq "/buy/ticket without a default event answers code -1" "-1" "$(jq -r .code <<< "$BODY")"
create_event default 2
http GET /buy/ticket
check_eq "/buy/ticket sells to an anonymous user" "200 1" "$STATUS $(jq -r .code <<< "$BODY")"
http POST "/buy/ticket?user_id=seed1"
http POST "/buy/ticket?user_id=seed2"
check_eq "/buy/ticket says sold out like the seed" '200 {"code":-1,"msg":"sold out"}' "$STATUS $BODY"

finish
