-- retire.lua — let the Redis hashes of finished orders expire once the
-- reconciler has written them to MySQL, so Redis memory stays bounded over a
-- long sale (MySQL keeps every order; GET /api/orders answers 404 after this).
-- KEYS: the orders' hashes (all of one event)
-- ARGV: 1 seconds to keep them
-- Only orders in a final state (paid, expired, cancelled) are given a TTL; a
-- reserved order is left alone. Returns the number given a TTL.
local n = 0
for i = 1, #KEYS do
  local status = redis.call('HGET', KEYS[i], 'status')
  if status == 'paid' or status == 'expired' or status == 'cancelled' then
    redis.call('EXPIRE', KEYS[i], ARGV[1])
    n = n + 1
  end
end
return n
