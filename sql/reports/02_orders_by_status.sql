-- question: where does each event's order book stand, and what has it earned?
-- One row per event: tickets on sale, orders (every reservation that reached
-- MySQL, whatever became of it) split by status, and revenue = paid orders
-- x events.price_cents, in currency units. Reserved orders are still inside
-- their payment window (or expired in Redis but not yet released); held =
-- reserved + paid is what Redis counts as sold.
SELECT e.event_id,
       e.total AS tickets,
       COUNT(o.order_id) AS orders,
       COALESCE(SUM(o.status = 'reserved'), 0) AS reserved,
       COALESCE(SUM(o.status = 'paid'), 0) AS paid,
       COALESCE(SUM(o.status = 'expired'), 0) AS expired,
       COALESCE(SUM(o.status = 'cancelled'), 0) AS cancelled,
       CAST(COALESCE(SUM(o.status = 'paid'), 0) * e.price_cents / 100 AS DECIMAL(20, 2)) AS revenue
FROM events e
LEFT JOIN orders o ON o.event_id = e.event_id
GROUP BY e.event_id, e.total, e.price_cents, e.created_at
ORDER BY e.created_at, e.event_id;
