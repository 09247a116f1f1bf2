-- retire.lua — let the Redis hashes of finished orders expire once the
-- reconciler has written them to MySQL, so Redis memory stays bounded over a
-- long sale: the transition to "retired" (common/order_status.h). MySQL keeps
-- every order; the API answers for a retired order as for an unknown one.
-- KEYS, ARGV and replies: lua/protocol.json ("retire"). Only orders in a
-- final state (paid, expired, cancelled) are given a TTL; a reserved order is
-- left alone.
local n = 0
for i = 1, N_orders do
  local okey = G_orders(i)
  local status = redis.call('HGET', okey, F_status)
  if status == S_paid or status == S_expired or status == S_cancelled then
    redis.call('EXPIRE', okey, A_ttl_s)
    n = n + 1
  end
end
return R_done(n)
