# shellcheck shell=bash
# operator_page.sh — the operator's live page ($ADMIN_URL/ops/) in the
# browser; sourced by tests/integration/browser_test.sh. The sale is made
# with curl while the page watches.
# Index: the event from ?event= · one row per node · stock going down after
# reservations · reservations per second · held per node · paid going up ·
# sold out and sold-out answers per second (nginx's estimated) · the
# reconciler's pass · one URL polled once a second · unknown event ·
# contrast.
create_event live 40 1 600

wd_get "$ADMIN_URL/ops/?event=live"
see "ops: the event comes from ?event= and the page shows 40 of 40 remaining" 5 \
  'document.getElementById("event").value === "live" && text("#remaining") === "40" && text("#total") === "40"' '#state'
check "ops: one row per node, with its weight share" wd_wait 2 \
  '[...document.querySelectorAll("#nodes tr")].map((r) => r.cells[3].innerText).join(" ") === "10.0 % 20.0 % 30.0 % 40.0 %"'
check "ops: the reconciler has not passed yet: 'not yet'" wd_wait 1 'text("#rec-at") === "not yet" && text("#rec-lag") === "not yet"'

# --- the sale moves ---------------------------------------------------------------------------
d=$(buy live 1 10 10)
check_eq "10 reservations through the API" 10 "$(grep -c ' 201$' "$d/results")"
see "ops: the remaining stock goes down (30 of 40)" 4 'text("#remaining") === "30"' '#state'
see "ops: reservations per second show the burst" 4 'parseFloat(text("#rate-reserved")) > 0' '#rate-reserved'
see "ops: the nodes hold the 10 tickets between them" 3 \
  '[...document.querySelectorAll("#nodes tr")].reduce((a, r) => a + Number(r.cells[1].innerText), 0) === 10' '#nodes'
paid=0
while read -r oid uid; do
  http POST "/api/orders/$oid/payment" "user_id=$uid"
  [ "$STATUS" = 200 ] && paid=$((paid + 1))
  [ "$paid" = 3 ] && break
done < <(orders_of "$d")
check_eq "3 of them paid through the API" 3 "$paid"
see "ops: the paid count goes up (3)" 4 'text("#paid") === "3" && text("#sold") === "10"' '#paid'

buy live 11 60 20 > /dev/null
see "ops: sold out: 0 remaining, and the badge says so" 4 'text("#remaining") === "0" && shown("#soldout")' '#state'
for i in $(seq 1 400); do echo "POST /api/events/live/reservations user_id=late$i"; done | race 50 "$T/late" > /dev/null
see "ops: sold-out answers per second, with nginx's own estimated" 4 \
  'parseFloat(text("#rate-soldout")) > 0 && /nginx ≈ [1-9]/.test(text("#rate-detail"))' '#rate-detail'
# The reconciler's last pass, as keys.h lays it out (reconciled_at in ms,
# lag_ms) in the event's hash.
redis_cli hset 'ev:{live}' reconciled_at "$(date +%s%3N)" lag_ms 42 > /dev/null
see "ops: the reconciler's last pass time and lag" 3 \
  '/^\d\d:\d\d:\d\d \(\d+ s ago\)$/.test(text("#rec-at")) && text("#rec-lag") === "42 ms"' '#rec-at'
shot operator-sale
[ -n "${UPDATE_DOCS_IMG:-}" ] && cp "$SHOTS/operator-sale.png" "$ROOT/docs/img/operator.png"  # UPDATE_DOCS_IMG=1 refreshes the README's picture
check "ops: it fetched one URL only, /status/live, about once a second" wd_wait 1 \
  '(() => { const f = performance.getEntriesByType("resource").filter((e) => e.initiatorType === "fetch");
     const rate = f.length / (performance.now() / 1000);
     return f.length > 3 && f.every((e) => new URL(e.name).pathname === "/status/live") && rate > 0.6 && rate <= 1.2; })()'
contrast_ok "ops"

# --- unknown event ----------------------------------------------------------------------------
wd_type '#event' nosuch
wd_keys Enter
see "ops: an unknown event (404) is said as such" 4 'text("#state").startsWith("Unknown event") && text("#remaining") === "–"' '#state'
check "ops: and the address follows the input (?event=nosuch)" wd_wait 1 'location.search === "?event=nosuch"'
shot operator-unknown
contrast_ok "ops (unknown event)"
check "operator screenshot docs/img/operator.png is a PNG of at most 150 KB" small_png "$ROOT/docs/img/operator.png"
