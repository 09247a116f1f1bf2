-- reserve.lua — reserve one ticket of an event for a user, atomically.
-- KEYS: 1 meta, 2 users, 3 exp, 4 log, 5 the new order's hash
-- ARGV: 1 user, 2 order id (fresh, random), 3 node, 4 the server's run_id
-- Returns {1, expires_at_ms, returned}  reserved
--         {-3}                          this Redis was not checked against
--                                       MySQL since it restarted (lib.lua)
--         {0, returned}                 sold out (sold >= total)
--         {-1, held_order_id, returned} the user already holds `limit` tickets
--         {-2}                          no such event
-- `returned` is how many tickets this node sold that were later released:
-- the node may sell that many beyond its allotment (fcgi/node_counter.h).
-- Every redis.call costs (more so for writes, which are propagated to the
-- AOF one by one): the success path makes eight.
local m = redis.call('HMGET', KEYS[1], 'total', 'sold', 'limit', 'window', 'returned:' .. ARGV[3], 'verified_run')
if not m[1] then return {-2} end
if not verified(m[6], ARGV[4]) then return {-3} end
local total, sold = tonumber(m[1]), tonumber(m[2])
local limit, window = tonumber(m[3]), tonumber(m[4])
local returned = tonumber(m[5] or '0')
-- The stock check: strictly sold < total (the seed article compared the other
-- way round and sold one ticket too many).
if sold >= total then return {0, returned} end

-- The per-user limit. With the usual limit of one, HSETNX both checks and
-- records the holding.
local held
if limit == 1 then
  if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then
    return {-1, redis.call('HGET', KEYS[2], ARGV[1]), returned}
  end
else
  held = redis.call('HGET', KEYS[2], ARGV[1])
  if held then
    local n, first = 0, nil
    for o in string.gmatch(held, '%S+') do
      n = n + 1
      first = first or o
    end
    if n >= limit then return {-1, first, returned} end
  end
  redis.call('HSET', KEYS[2], ARGV[1], held and (held .. ' ' .. ARGV[2]) or ARGV[2])
end

local now = now_ms()
local expires = now + window * 1000
redis.call('HINCRBY', KEYS[1], 'sold', 1)
redis.call('HSET', KEYS[5], 'user', ARGV[1], 'node', ARGV[3], 'status', 'reserved',
           'reserved_at', now, 'expires_at', expires)
redis.call('ZADD', KEYS[3], expires, ARGV[2])
redis.call('XADD', KEYS[4], '*', 't', 'reserved', 'o', ARGV[2], 'u', ARGV[1], 'n', ARGV[3],
           'at', now, 'exp', expires)
return {1, expires, returned}
