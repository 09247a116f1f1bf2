-- rebuild_event.lua — put an event rebuilt from MySQL back on sale: the last
-- step of seckill-reconciler --rebuild-redis (reconciler/redis_rebuild.h),
-- once its holders, orders and expiry index are in Redis. Until ev:{E} has
-- its total, reserve.lua answers no_event. KEYS, ARGV and replies:
-- lua/protocol.json ("rebuild_event"). The counts are added to whatever
-- ev:{E} holds (nothing: the rebuild cleared it, and pay.lua and cancel.lua
-- refuse to run until verified_run is set).
redis.call('HSET', K_meta, F_total, A_total, F_limit, A_limit, F_window, A_window_s, F_price, A_price_cents,
           F_created_at, A_created_at_ms, F_verified_run, A_verified_run)
-- The opening and closing times, as MySQL keeps them (0: none).
if tonumber(A_opens_at_ms) > 0 then redis.call('HSET', K_meta, F_opens_at, A_opens_at_ms) end
if tonumber(A_closes_at_ms) > 0 then redis.call('HSET', K_meta, F_closes_at, A_closes_at_ms) end
local sold = redis.call('HINCRBY', K_meta, F_sold, A_sold)
-- The other counts appear only once not zero, as pay.lua and release() make them.
local function add(field, n)
  if tonumber(n) ~= 0 then redis.call('HINCRBY', K_meta, field, n) end
end
add(F_paid, A_paid)
add(F_expired, A_expired)
add(F_cancelled, A_cancelled)
for i = 1, N_returned do
  local node, count = G_returned(i)
  add(F_returned_prefix .. node, count)
end
return R_opened(sold)
