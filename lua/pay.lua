-- pay.lua — mark a reserved order paid, if its payment window is still open.
-- KEYS: 1 meta, 2 users, 3 exp, 4 log, 5 the order's hash
-- ARGV: 1 order id, 2 user, 3 the server's run_id
-- Returns {1}     paid (also when it was paid before: payment is idempotent)
--         {-404}  no such order, or not this user's
--         {-410, status} expired or cancelled (an order found past its
--                 window is released here and then, before the reconciler)
--         {-503}  this Redis was not checked against MySQL since it
--                 restarted (lib.lua): the order may be missing or stale
if not verified(redis.call('HGET', KEYS[1], 'verified_run'), ARGV[3]) then return {-503} end
local o = redis.call('HMGET', KEYS[5], 'user', 'status', 'expires_at', 'node')
if not o[1] or o[1] ~= ARGV[2] then return {-404} end
local status = o[2]
if status == 'paid' then return {1} end
if status ~= 'reserved' then return {-410, status} end
local now = now_ms()
if now >= tonumber(o[3]) then
  release(KEYS, KEYS[5], ARGV[1], o[1], o[4], 'expired', now)
  return {-410, 'expired'}
end
redis.call('HSET', KEYS[5], 'status', 'paid', 'paid_at', now)
redis.call('HINCRBY', KEYS[1], 'paid', 1)
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('XADD', KEYS[4], '*', 't', 'paid', 'o', ARGV[1], 'u', o[1], 'n', o[4], 'at', now)
return {1}
