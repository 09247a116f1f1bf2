# shellcheck shell=bash
# outage.sh — both pages when the servers behind them fail; sourced last by
# tests/integration/browser_test.sh, since it stops the pools, then nginx.
# Index: the shop with the pools down (nginx's 503: "try again") · the
# operator page with the pools down (nginx's 502/503) and with nginx down (the
# fetch itself fails).
wd_get "$BASE_URL/shop/?event=show"
wd_type '#user' busy1
"$ROOT/scripts/stack" down pools > /dev/null 2>&1
wd_click '#reserve'
see "shop: with the pools down, Reserve says the service is busy: try again" 8 \
  'text("#message").startsWith("The service is busy") && text("#message").includes("try again")'
shot shop-busy

wd_get "$ADMIN_URL/ops/?event=live"
see "ops: with the pools down, the page shows its error state (nginx's HTTP 5xx)" 5 \
  '/^Cannot read \/status\/live: HTTP 50\d/.test(text("#state")) && document.body.classList.contains("stale")' '#state'
shot operator-503
"$ROOT/scripts/stack" down nginx > /dev/null 2>&1
see "ops: with nginx down, the page says it cannot reach /status" 6 \
  'text("#state").startsWith("Cannot reach /status/live")' '#state'
shot operator-down
