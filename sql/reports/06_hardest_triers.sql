-- question: which users got the most orders in each event?
-- Attempts are not recorded in MySQL (a refused request leaves no row), so
-- this counts orders: reservations that succeeded, including those later
-- expired or cancelled. A user above the per-user limit got there by letting
-- orders lapse or cancelling and buying again. Top 10 per event; ties are
-- broken by user id.
SELECT event_id, user_id, orders, paid, reserved, expired, cancelled
FROM (
  SELECT o.event_id,
         o.user_id,
         COUNT(*) AS orders,
         SUM(o.status = 'paid') AS paid,
         SUM(o.status = 'reserved') AS reserved,
         SUM(o.status = 'expired') AS expired,
         SUM(o.status = 'cancelled') AS cancelled,
         ROW_NUMBER() OVER (PARTITION BY o.event_id ORDER BY COUNT(*) DESC, o.user_id) AS place
  FROM orders o
  GROUP BY o.event_id, o.user_id
) ranked
JOIN events e USING (event_id)
WHERE place <= 10
ORDER BY e.created_at, event_id, place;
