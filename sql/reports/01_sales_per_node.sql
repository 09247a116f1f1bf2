-- question: how did each node (FastCGI pool) share in each event's sales,
-- against the share its configured weight asks for?
-- Sold = orders held (reserved or paid) per node; share_percent is the node's
-- part of the event's held orders, weight_percent its weight's part of all
-- configured weights. The weights live in etc/cluster.conf, not in MySQL:
-- scripts/report appends them as "UNION ALL SELECT 'n1', 1 ..." at the
-- NODE_WEIGHTS marker below (run by hand, weight columns stay empty). A node
-- that sold nothing shows 0; a node not in the config shows no weight.
-- Per-node shares drift from the weights by the allotment buffer
-- (buffer_percent) and by released tickets that a node sells again.
WITH weights AS (
  SELECT CAST('' AS CHAR(64)) AS node, 0 AS weight FROM DUAL WHERE 1 = 0
  /*NODE_WEIGHTS*/
),
held AS (
  SELECT event_id, node, COUNT(*) AS sold
  FROM orders
  WHERE status IN ('reserved', 'paid')
  GROUP BY event_id, node
),
pairs AS (  -- every configured node for every event, plus nodes seen in orders
  SELECT e.event_id, w.node FROM events e CROSS JOIN weights w
  UNION
  SELECT DISTINCT event_id, node FROM orders
)
SELECT p.event_id,
       p.node,
       COALESCE(h.sold, 0) AS sold,
       ROUND(100 * COALESCE(h.sold, 0) / NULLIF(SUM(COALESCE(h.sold, 0)) OVER (PARTITION BY p.event_id), 0), 1)
         AS share_percent,
       w.weight,
       ROUND(100 * w.weight / NULLIF((SELECT SUM(weight) FROM weights), 0), 1) AS weight_percent
FROM pairs p
JOIN events e ON e.event_id = p.event_id
LEFT JOIN held h ON h.event_id = p.event_id AND h.node = p.node
LEFT JOIN weights w ON w.node = p.node
ORDER BY e.created_at, p.event_id, p.node;
