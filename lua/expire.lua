-- expire.lua — release the given orders whose payment window has passed.
-- KEYS: 1 meta, 2 users, 3 exp, 4 log, 5.. the orders' hashes
-- ARGV: the order ids, in the order of KEYS[5..], then the server's run_id
-- The caller picks candidates with ZRANGEBYSCORE on the exp index; this script
-- re-checks each one (still reserved, window passed) so a payment that won
-- the race is never undone. Returns the number of orders released, or -1
-- when this Redis was not checked against MySQL since it restarted (lib.lua):
-- it may have lost a payment MySQL has, and must not release that order.
if not verified(redis.call('HGET', KEYS[1], 'verified_run'), ARGV[#ARGV]) then return -1 end
local now = now_ms()
local released = 0
for i = 5, #KEYS do
  local oid = ARGV[i - 4]
  local o = redis.call('HMGET', KEYS[i], 'user', 'status', 'expires_at', 'node')
  if o[2] == 'reserved' and now >= tonumber(o[3]) then
    release(KEYS, KEYS[i], oid, o[1], o[4], 'expired', now)
    released = released + 1
  elseif not o[1] or o[2] ~= 'reserved' then
    redis.call('ZREM', KEYS[3], oid)  -- stale index entry
  end
end
return released
