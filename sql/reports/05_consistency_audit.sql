-- question: does MySQL's order book hold more tickets than each event has?
-- One row per event: tickets on sale (total), orders held (reserved + paid)
-- and oversold = 1 when held > total, which must never happen.
-- scripts/report also reads these rows (tab-separated, in this column order)
-- to compare held with Redis's sold counter, which equals it once the
-- reconciler has moved every stream entry.
SELECT e.event_id,
       e.total,
       COALESCE(SUM(o.status = 'reserved'), 0) AS reserved,
       COALESCE(SUM(o.status = 'paid'), 0) AS paid,
       COALESCE(SUM(o.status IN ('reserved', 'paid')), 0) AS held,
       COALESCE(SUM(o.status IN ('reserved', 'paid')), 0) > e.total AS oversold
FROM events e
LEFT JOIN orders o ON o.event_id = e.event_id
GROUP BY e.event_id, e.total, e.created_at
ORDER BY e.created_at, e.event_id;
