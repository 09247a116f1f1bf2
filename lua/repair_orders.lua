-- repair_orders.lua — make Redis agree with MySQL about orders MySQL holds,
-- after a Redis crash that lost its last writes (appendfsync everysec): the
-- reconciler's repair (reconciler/repair.h) pages through MySQL's orders of
-- an event and sends them here. KEYS, ARGV and replies: lua/protocol.json
-- ("repair_orders"). MySQL only ever lags Redis, and an order's status moves
-- one way (common/order_status.h), so for each order the further status wins:
--   * an order MySQL holds (reserved or paid) whose hash and holding are both
--     gone from Redis is put back, its ticket counted in `sold` (a released
--     order keeps its hash; a paid one retired by TTL keeps its holding);
--   * an order Redis still has as reserved that MySQL has as paid is marked
--     paid (else its expiry would sell a paid ticket again);
--   * an order Redis still has as reserved that MySQL has as cancelled or
--     expired is released (its ticket is already someone else's in MySQL).
-- Each of these transitions appends its stream entry, as every transition
-- does; the reconciler's upsert of an order MySQL already has changes nothing.
local restored, changed = 0, 0
for i = 1, N_orders do
  local okey, oid, user, node, status, reserved_at, expires_at, closed_at = G_orders(i)
  local now = redis.call('HGET', okey, F_status)
  local held = not now and redis.call('HGET', K_users, user)
  if not now then
    if (status == S_reserved or status == S_paid) and not holds(held, oid) then
      redis.call('HSET', okey, F_user, user, F_node, node, F_status, status,
                 F_reserved_at, reserved_at, F_expires_at, expires_at)
      redis.call('HINCRBY', K_meta, F_sold, 1)
      redis.call('HSET', K_users, user, held and (held .. ' ' .. oid) or oid)
      if status == S_reserved then
        redis.call('ZADD', K_expiry, expires_at, oid)
        log_change(K_log, S_reserved, oid, user, node, reserved_at, expires_at)
      else
        redis.call('HSET', okey, F_paid_at, closed_at)
        redis.call('HINCRBY', K_meta, F_paid, 1)
        log_change(K_log, S_paid, oid, user, node, closed_at)
      end
      restored = restored + 1
    end
  elseif now == S_reserved and status == S_paid then
    redis.call('HSET', okey, F_status, S_paid, F_paid_at, closed_at)
    redis.call('HINCRBY', K_meta, F_paid, 1)
    redis.call('ZREM', K_expiry, oid)
    log_change(K_log, S_paid, oid, user, node, closed_at)
    changed = changed + 1
  elseif now == S_reserved and (status == S_cancelled or status == S_expired) then
    release(K_meta, K_users, K_expiry, K_log, okey, oid, user, node, status, closed_at)
    changed = changed + 1
  end
end
return R_done(restored, changed)
