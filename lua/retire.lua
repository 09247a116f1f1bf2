-- retire.lua — let the Redis hashes of finished orders expire once the
-- reconciler has written them to MySQL, so Redis memory stays bounded over a
-- long sale: the transition to "retired" (common/order_status.h). MySQL keeps
-- every order; the API answers for a retired order as for an unknown one.
-- KEYS, ARGV and replies: lua/protocol.json ("retire"). Only orders in a
-- final state are given a TTL: a paid one A_ttl_s (the buyer's proof, and
-- there are at most as many as tickets), an expired or cancelled one
-- A_released_ttl_s (their ticket went back on sale; a sale makes any number
-- of them); a TTL of 0 keeps the hash. A reserved order is left alone.
local paid_ttl, released_ttl = tonumber(A_ttl_s), tonumber(A_released_ttl_s)
local n = 0
for i = 1, N_orders do
  local okey = G_orders(i)
  local status = redis.call('HGET', okey, F_status)
  local ttl = 0
  if status == S_paid then ttl = paid_ttl
  elseif status == S_expired or status == S_cancelled then ttl = released_ttl end
  if ttl > 0 then
    redis.call('EXPIRE', okey, ttl)
    n = n + 1
  end
end
return R_done(n)
