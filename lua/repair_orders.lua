-- repair_orders.lua — make Redis agree with MySQL about orders MySQL holds,
-- after a Redis crash that lost its last writes (appendfsync everysec): the
-- reconciler's repair (reconciler/repair.h) pages through MySQL's orders of
-- an event and sends them here. MySQL only ever lags Redis, and an order's
-- status moves one way (reserved -> paid | cancelled | expired), so for each
-- order the further status wins:
--   * an order MySQL holds (reserved or paid) whose hash and holding are both
--     gone from Redis is put back, its ticket counted in `sold` (a released
--     order keeps its hash; a paid one retired by TTL keeps its holding);
--   * an order Redis still has as reserved that MySQL has as paid is marked
--     paid (else its expiry would sell a paid ticket again);
--   * an order Redis still has as reserved that MySQL has as cancelled or
--     expired is released (its ticket is already someone else's in MySQL).
-- KEYS: 1 meta, 2 users, 3 exp, 4 log, 5.. the orders' hashes
-- ARGV: per order, 7 values: order id, user, node, status, reserved_at ms,
--       expires_at ms, closed_at ms (paid, cancelled or expired; 0 if none)
-- Returns {put back, status changed}.
local restored, changed = 0, 0
for i = 5, #KEYS do
  local a = (i - 5) * 7
  local oid, user, node, status = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local closed = tonumber(ARGV[a + 7])
  local now = redis.call('HGET', KEYS[i], 'status')
  if not now then
    if status == 'reserved' or status == 'paid' then
      local held = redis.call('HGET', KEYS[2], user) or ''
      local holding = false
      for o in string.gmatch(held, '%S+') do
        if o == oid then holding = true end
      end
      if not holding then
        redis.call('HSET', KEYS[i], 'user', user, 'node', node, 'status', status,
                   'reserved_at', ARGV[a + 5], 'expires_at', ARGV[a + 6])
        redis.call('HINCRBY', KEYS[1], 'sold', 1)
        redis.call('HSET', KEYS[2], user, held == '' and oid or (held .. ' ' .. oid))
        if status == 'reserved' then
          redis.call('ZADD', KEYS[3], ARGV[a + 6], oid)
        else
          redis.call('HSET', KEYS[i], 'paid_at', closed)
          redis.call('HINCRBY', KEYS[1], 'paid', 1)
        end
        restored = restored + 1
      end
    end
  elseif now == 'reserved' and status == 'paid' then
    redis.call('HSET', KEYS[i], 'status', 'paid', 'paid_at', closed)
    redis.call('HINCRBY', KEYS[1], 'paid', 1)
    redis.call('ZREM', KEYS[3], oid)
    changed = changed + 1
  elseif now == 'reserved' and (status == 'cancelled' or status == 'expired') then
    release(KEYS, KEYS[i], oid, user, node, status, closed)
    changed = changed + 1
  end
end
return {restored, changed}
