# shellcheck shell=bash
# shop_page.sh — the buyer's page (/shop/) in the browser; sourced by
# tests/integration/browser_test.sh (helpers: see, shot, contrast_ok, …).
# Index: what remains · sign in (the demo sign-in; the token in memory
# only) · reserve and the countdown · pay · limit reached and
# load the order · cancel · pay refused (410) for an order cancelled
# elsewhere · sold out · unknown event · the countdown to the opening time
# and the button enabled then · expiry on a 2-s
# window, then the reconciler · keyboard only · labels and live region ·
# a 375-px screen · contrast.
create_event show 10 1 600
create_event solo 1 1 600
create_event brief 5 1 2

# --- what remains, reserve, countdown ------------------------------------------------
wd_get "$BASE_URL/shop/?event=show"
see "shop: the event comes from ?event= and the page shows what remains" 5 \
  'document.getElementById("event").value === "show" && text("#left").includes("10 of 10 tickets left")' '#left'
check "shop: a user id is generated" wd_wait 1 '/^[A-Za-z0-9_.-]{1,64}$/.test(document.getElementById("user").value)'
wd_type '#user' buyer1
check "shop: not signed in at first" wd_wait 1 'text("#who") === "Not signed in."'
wd_click '#sign-in'
see "shop: Sign in (the demo sign-in) says who is signed in" 5 \
  'text("#who") === "Signed in as buyer1." && text("#message").startsWith("Signed in as buyer1")' '#who'
check "shop: the token is kept in memory, not in storage" \
  wd_wait 1 '!Object.keys(localStorage).some((k) => (localStorage.getItem(k) || "").includes("eyJ"))'
wd_click '#reserve'
see "shop: Reserve answers 'Reserved' in the live region" 5 'text("#message").startsWith("Reserved")'
see "shop: the order is shown as reserved with a countdown to its expiry" 2 \
  'shown("#order") && text("#order-status") === "reserved" && /^(10:00|9:5\d)$/.test(text("#countdown"))' '#order'
oid=$(wd_text '#order-id')
c1=$(wd_text '#countdown')
see "shop: the countdown runs" 3 "text('#countdown') !== '$c1'" '#countdown'
see "shop: the remaining stock follows (9 of 10)" 4 'text("#left").includes("9 of 10")' '#left'
check_eq "shop: the API has the order, reserved, for buyer1" reserved "$(order_status "$oid" buyer1)"
shot shop-reserved
[ -n "${UPDATE_DOCS_IMG:-}" ] && cp "$SHOTS/shop-reserved.png" "$ROOT/docs/img/shop.png"  # UPDATE_DOCS_IMG=1 refreshes the README's picture

# --- pay -----------------------------------------------------------------------------------
wd_click '#pay'
see "shop: Pay answers 'Paid'" 5 'text("#message").startsWith("Paid") && text("#order-status") === "paid"'
check "shop: once paid, no countdown and no Pay or Cancel buttons" \
  wd_wait 1 '!shown("#countdown") && !shown("#pay") && !shown("#cancel")'
check_eq "shop: the API says paid" paid "$(order_status "$oid" buyer1)"
shot shop-paid

# --- limit reached (429): the order they hold, and load it ---------------------------------
wd_click '#reserve'
see "shop: a second Reserve says the limit is reached and names the order held" 5 \
  "text('#message').startsWith('Limit reached') && shown('#held') && text('#held-id') === '$oid'"
shot shop-limit
wd_js 'document.getElementById("order").hidden = true;' > /dev/null  # so that loading it shows it again
wd_click '#load'
see "shop: 'Show this order' loads it (paid)" 5 \
  "shown('#order') && text('#order-id') === '$oid' && text('#order-status') === 'paid' && !shown('#held')"

# --- cancel -----------------------------------------------------------------------------------
wd_type '#user' buyer2
wd_click '#reserve'
see "shop: buyer2 reserves (8 of 10 left)" 5 'text("#message").startsWith("Reserved") && text("#left").includes("8 of 10")'
check "shop: Reserve as another user signs that user in first" wd_wait 1 'text("#who") === "Signed in as buyer2."'
oid2=$(wd_text '#order-id')
wd_click '#cancel'
see "shop: Cancel answers 'Cancelled'" 5 'text("#message").startsWith("Cancelled") && text("#order-status") === "cancelled"'
check_eq "shop: the API says cancelled" cancelled "$(order_status "$oid2" buyer2)"
see "shop: the ticket is back on sale (9 of 10: one paid)" 4 'text("#left").includes("9 of 10")' '#left'
shot shop-cancelled
wd_type '#user' buyer3
wd_click '#reserve'
see "shop: buyer3 reserves" 5 'text("#message").startsWith("Reserved")'
oid4=$(wd_text '#order-id')
http POST "/api/orders/$oid4/cancellation" user_id=buyer3
check_eq "buyer3's order is cancelled elsewhere (through the API)" 200 "$STATUS"
wd_click '#pay'
see "shop: Pay on it is refused (410) and the page says it was cancelled" 5 \
  'text("#message").startsWith("Cancelled") && text("#order-status") === "cancelled" && !shown("#pay")'

# --- sold out (409) ---------------------------------------------------------------------------
http POST /api/events/solo/reservations user_id=early
check_eq "the only ticket of solo is taken through the API" 201 "$STATUS"
wd_get "$BASE_URL/shop/?event=solo"
see "shop: the stock line says sold out" 5 'text("#left").startsWith("Sold out")' '#left'
wd_click '#reserve'
see "shop: Reserve on a sold-out event says 'Sold out'" 5 'text("#message").startsWith("Sold out")'
shot shop-soldout

# --- unknown event (404) ----------------------------------------------------------------------
wd_get "$BASE_URL/shop/?event=nosuch"
see "shop: an unknown event is said in the stock line" 5 'text("#left").startsWith("Unknown event")' '#left'
wd_click '#reserve'
see "shop: Reserve on an unknown event says 'Unknown event'" 5 'text("#message").startsWith("Unknown event")'
shot shop-unknown

# --- the opening time: a countdown, the button enabled at the time ------------------------------
opens_ms=$(redis_cli time | paste -sd' ' | awk '{printf "%d", $1 * 1000 + int($2 / 1000) + 5000}')
create_event soon 5 1 600 --opens-at "$(awk -v ms="$opens_ms" 'BEGIN {printf "%.3f", ms / 1000}')"
wd_get "$BASE_URL/shop/?event=soon"
see "shop: before the opening, a countdown and a disabled Reserve button" 3 \
  'shown("#opening") && /^Opens in 0:0[1-5]$/.test(text("#opening")) && document.getElementById("reserve").disabled' '#opening'
shot shop-not-open
see "shop: at the time, the countdown goes and the button is enabled" 8 \
  '!shown("#opening") && !document.getElementById("reserve").disabled' '#opening'
wd_type '#user' opener1
wd_click '#reserve'
see "shop: then Reserve reserves" 5 'text("#message").startsWith("Reserved")'

# --- expiry: a 2-s window -------------------------------------------------------------------------
wd_get "$BASE_URL/shop/?event=brief"
wd_type '#user' late1
wd_click '#reserve'
see "shop: late1 reserves on a 2-s window (countdown 0:02 or 0:01)" 5 \
  'text("#message").startsWith("Reserved") && /^0:0[12]$/.test(text("#countdown"))'
oid3=$(wd_text '#order-id')
see "shop: the countdown reaches zero and the page says 'Expired' (confirmed by GET)" 8 \
  'text("#message").startsWith("Expired") && text("#order-status") === "expired" && !shown("#pay")'
shot shop-expired
reconcile --once > /dev/null
check_eq "after reconcile --once the API says expired" expired "$(order_status "$oid3" late1)"
http GET /api/events/brief
check_eq "and the ticket is back on sale (5 of 5)" 5 "$(jq .remaining <<< "$BODY")"

# --- keyboard only -------------------------------------------------------------------------------
wd_get "$BASE_URL/shop/?event=show"
wd_type '#user' keys1
wd_js 'document.activeElement.blur(); window.scrollTo(0, 0);' > /dev/null
tabs=0
for ((i = 1; i <= 8; i++)); do
  wd_keys Tab
  [ "$(wd_js 'return document.activeElement.id;')" = '"reserve"' ] && { tabs=$i; break; }
done
if [ "$tabs" -gt 0 ]; then ok "shop: the Reserve button is reached with Tab ($tabs presses)"; else not_ok "shop: Reserve reachable with Tab" "focus never got there"; fi
check "shop: the focused button shows a focus ring" \
  wd_wait 1 'getComputedStyle(document.activeElement).outlineStyle !== "none" && parseFloat(getComputedStyle(document.activeElement).outlineWidth) >= 2'
shot shop-focus
wd_keys Enter
see "shop: Enter on the focused Reserve button reserves" 5 'text("#message").startsWith("Reserved")'
for ((i = 1; i <= 4; i++)); do
  wd_keys Tab
  [ "$(wd_js 'return document.activeElement.id;')" = '"pay"' ] && break
done
wd_keys Space
see "shop: Tab to Pay and Space pays" 5 'text("#message").startsWith("Paid")'
check "shop: the keyboard focus stays in the order when the buttons go away" \
  wd_wait 1 'document.activeElement.id === "order-title"'

# --- labels, live region, real buttons ----------------------------------------------------------
# shellcheck disable=SC2016 # JavaScript, with its own ${}
check "shop: every input has a <label for>" wd_wait 1 \
  '[...document.querySelectorAll("input")].every((i) => i.id && document.querySelector(`label[for="${i.id}"]`))'
check "shop: messages go to a polite live region" wd_wait 1 \
  'document.getElementById("message").getAttribute("aria-live") === "polite"'
check "shop: every action is a real <button>" wd_wait 1 \
  '["reserve", "pay", "cancel", "load", "new-user"].every((id) => document.getElementById(id).tagName === "BUTTON")'
contrast_ok "shop"

# --- a 375-px screen ------------------------------------------------------------------------------
wd_viewport 375 700
wd_get "$BASE_URL/shop/?event=show"
wd_type '#user' narrow1
wd_click '#reserve'
see "shop (375 px): Reserve works" 5 'text("#message").startsWith("Reserved")'
check "shop (375 px): no horizontal scroll, the order shown" wd_wait 1 \
  'window.innerWidth === 375 && document.documentElement.scrollWidth <= document.documentElement.clientWidth && shown("#order")'
shot shop-375
contrast_ok "shop (375 px, an order reserved)"
wd_viewport 800 600
check "shop screenshot docs/img/shop.png is a PNG of at most 150 KB" small_png "$ROOT/docs/img/shop.png"
