#!/usr/bin/env bash
# browser_test — the two pages in a real browser: Debian's headless Chromium,
# driven through chromedriver by tests/browser/webdriver.sh, against a
# private stack. The checks live in tests/browser/:
#   shop_page.sh      the buyer's page (/shop/): reserve, countdown, pay,
#                     limit reached and load the order, cancel, sold out,
#                     unknown event, expiry (2-s window, then the reconciler),
#                     keyboard only, a 375-px screen, labels, contrast
#   operator_page.sh  the operator's page (/ops/ on the admin port): the sale
#                     moving (stock, rates, paid, nodes), unknown event
#   outage.sh         both pages with the pools down, then nginx down
# Screenshots of each state go to $VAR/screenshots/ (KEEP_VAR=1 keeps them);
# With UPDATE_DOCS_IMG=1, docs/img/shop.png and docs/img/operator.png are
# refreshed from them.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
for b in chromium chromedriver; do
  command -v "$b" > /dev/null || { not_ok "$b is installed" "run scripts/install-deps"; finish; exit 1; }
done
start_stack redis mysql pools nginx
. "$TESTS_DIR/browser/webdriver.sh"
at_exit wd_stop
SHOTS=$VAR/screenshots
mkdir -p "$SHOTS" "$ROOT/docs/img"

# see NAME SECS EXPR [CSS]: ok when the JavaScript expression EXPR (wd_wait)
# holds within SECS; otherwise not ok, with what CSS (default #message) shows.
see() {
  if wd_wait "$2" "$3"; then ok "$1"; else not_ok "$1" "page shows: $(wd_text "${4:-#message}" | tr '\n' ' ')"; fi
}
# shot NAME: a screenshot of the viewport into $SHOTS/NAME.png
shot() { wd_screenshot "$SHOTS/$1.png"; }
# small_png FILE: a PNG of at most 150 KB
small_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ "$(stat -c %s "$1")" -le 153600 ]; }
# contrast_ok NAME: every visible text meets WCAG AA (tests/browser/contrast.js)
contrast_ok() {
  local r
  r=$(wd_js "$(cat "$TESTS_DIR/browser/contrast.js")")
  if jq -e '.count > 0 and .worst.ratio >= .worst.need' <<< "$r" > /dev/null; then
    ok "$1: text contrast meets WCAG AA ($(jq -r '"\(.count) texts, lowest \(.worst.ratio):1"' <<< "$r"))"
  else not_ok "$1: text contrast" "$(jq -c .worst <<< "$r")"; fi
}
# order_status ORDER USER: the order's status through the API
order_status() { http GET "/api/orders/$1?user_id=$2"; jq -r '.status // .error' <<< "$BODY"; }

t0=$(date +%s)
if wd_start "$VAR/browser" && wd_viewport 800 600; then ok "Chromium starts under chromedriver (800×600)"
else
  not_ok "Chromium starts under chromedriver" "$(tail -5 "$VAR/browser/chromedriver.out" "$VAR/browser/chromedriver.log" 2>/dev/null | tr '\n' ' ')"
  finish; exit 1
fi

. "$TESTS_DIR/browser/shop_page.sh"
. "$TESTS_DIR/browser/operator_page.sh"
. "$TESTS_DIR/browser/outage.sh"

echo "# browser checks took $(( $(date +%s) - t0 )) s after the stack started"
finish
