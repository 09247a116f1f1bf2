-- create_event.lua — put a new event on sale.
-- KEYS: 1 meta, 2 log
-- ARGV: 1 total, 2 per-user limit, 3 payment window (s), 4 price (cents), 5 consumer group,
--       6 the server's run_id (a new event has nothing in MySQL to check against)
-- Returns 1 when created, 0 when the event already exists (nothing changed).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'total', ARGV[1], 'sold', 0, 'limit', ARGV[2], 'window', ARGV[3],
           'price', ARGV[4], 'created_at', now_ms(), 'verified_run', ARGV[6])
-- The reconciler's consumer group reads the stream from its first entry.
redis.call('XGROUP', 'CREATE', KEYS[2], ARGV[5], '0', 'MKSTREAM')
return 1
