-- rebuild_orders.lua — write orders read from MySQL into an event that
-- seckill-reconciler --rebuild-redis is rebuilding (reconciler/redis_rebuild.h):
-- each order's hash as reserve.lua, pay.lua and release() would have left
-- it, the reserved ones in the expiry index, and with A_hold = 1 (a limit of
-- one) each reserved or paid order as its user's holding, and each cancelled
-- one in its user's count of cancellations (cancel.lua). KEYS, ARGV and
-- replies: lua/protocol.json ("rebuild_orders"). The orders are copied from
-- MySQL, which has them: no stream entry (common/order_status.h). The event's
-- counts are set afterwards by rebuild_event.lua.
for i = 1, N_orders do
  local okey, oid, user, node, status, reserved_at, expires_at, paid_at, expired_at, cancelled_at = G_orders(i)
  redis.call('HSET', okey, F_user, user, F_node, node, F_status, status,
             F_reserved_at, reserved_at, F_expires_at, expires_at)
  if paid_at ~= '0' then redis.call('HSET', okey, F_paid_at, paid_at) end
  if expired_at ~= '0' then redis.call('HSET', okey, F_expired_at, expired_at) end
  if cancelled_at ~= '0' then redis.call('HSET', okey, F_cancelled_at, cancelled_at) end
  if status == S_reserved then redis.call('ZADD', K_expiry, expires_at, oid) end
  if status == S_cancelled then redis.call('HINCRBY', K_cancels, user, 1) end
  if A_hold == '1' and (status == S_reserved or status == S_paid) then
    redis.call('HSET', K_users, user, oid)
  end
end
return R_done(N_orders)
