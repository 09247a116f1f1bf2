-- restore_orders.lua — put back orders that MySQL holds (reserved or paid)
-- but Redis lost (a crash with appendfsync everysec lost their last second),
-- so their tickets cannot be sold twice. Called by the reconciler's repair
-- (reconciler/repair.h) only when MySQL holds more tickets than Redis.
-- KEYS: 1 meta, 2 users, 3 exp, 4.. the orders' hashes
-- ARGV: per order, 6 values: order id, user, node, status, reserved_at ms, expires_at ms
-- An order counts as lost only when both its hash and its holding are gone
-- (a released order keeps its hash; a paid one retired by TTL keeps its
-- holding). Returns the number restored.
local restored = 0
for i = 4, #KEYS do
  local a = (i - 4) * 6
  local oid, user, node, status = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local held = redis.call('HGET', KEYS[2], user) or ''
  local holding = false
  for o in string.gmatch(held, '%S+') do
    if o == oid then holding = true end
  end
  if not holding and redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('HSET', KEYS[i], 'user', user, 'node', node, 'status', status,
               'reserved_at', ARGV[a + 5], 'expires_at', ARGV[a + 6])
    redis.call('HINCRBY', KEYS[1], 'sold', 1)
    redis.call('HSET', KEYS[2], user, held == '' and oid or (held .. ' ' .. oid))
    if status == 'reserved' then redis.call('ZADD', KEYS[3], ARGV[a + 6], oid) end
    restored = restored + 1
  end
end
return restored
