-- cancel.lua — the user gives a reserved ticket back; it is on sale at once.
-- KEYS: 1 meta, 2 users, 3 exp, 4 log, 5 the order's hash
-- ARGV: 1 order id, 2 user, 3 the server's run_id
-- Returns {1}     cancelled (also when it was cancelled before)
--         {-404}  no such order, or not this user's
--         {-409}  already paid: cancelling a paid ticket is a refund, not this
--         {-410}  expired
--         {-503}  this Redis was not checked against MySQL since it
--                 restarted (lib.lua): the order may be missing or stale
if not verified(redis.call('HGET', KEYS[1], 'verified_run'), ARGV[3]) then return {-503} end
local o = redis.call('HMGET', KEYS[5], 'user', 'status', 'expires_at', 'node')
if not o[1] or o[1] ~= ARGV[2] then return {-404} end
local status = o[2]
if status == 'cancelled' then return {1} end
if status == 'paid' then return {-409} end
if status ~= 'reserved' then return {-410} end
local now = now_ms()
if now >= tonumber(o[3]) then
  release(KEYS, KEYS[5], ARGV[1], o[1], o[4], 'expired', now)
  return {-410}
end
release(KEYS, KEYS[5], ARGV[1], o[1], o[4], 'cancelled', now)
return {1}
