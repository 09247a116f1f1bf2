-- rebuild_event.lua — put an event rebuilt from MySQL back on sale: the last
-- step of seckill-reconciler --rebuild-redis (reconciler/redis_rebuild.h),
-- once its holders, orders and expiry index are in Redis. Until ev:{E} has
-- its total, reserve.lua answers "no such event".
-- KEYS: 1 meta
-- ARGV: 1 total, 2 per-user limit, 3 payment window (s), 4 price (cents),
--       5 created_at (ms), 6 sold, 7 paid, 8 expired, 9 cancelled,
--       10 the server's run_id (the rebuilt data is MySQL's: verified), then
--       pairs: node, tickets it sold that were released (returned:<node>)
-- The counts are added to whatever ev:{E} holds (nothing: the rebuild cleared
-- it, and pay.lua and cancel.lua refuse to run until verified_run is set).
-- Returns the event's sold count.
redis.call('HSET', KEYS[1], 'total', ARGV[1], 'limit', ARGV[2], 'window', ARGV[3], 'price', ARGV[4],
           'created_at', ARGV[5], 'verified_run', ARGV[10])
local sold = redis.call('HINCRBY', KEYS[1], 'sold', ARGV[6])
-- The other counts appear only once not zero, as pay.lua and release() make them.
local function add(field, n)
  if tonumber(n) ~= 0 then redis.call('HINCRBY', KEYS[1], field, n) end
end
add('paid', ARGV[7])
add('expired', ARGV[8])
add('cancelled', ARGV[9])
for i = 11, #ARGV - 1, 2 do add('returned:' .. ARGV[i], ARGV[i + 1]) end
return sold
