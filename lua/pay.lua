-- pay.lua — mark a reserved order paid, if its payment window is still open
-- (by Redis's clock). KEYS, ARGV and replies: lua/protocol.json ("pay").
-- An order found past its window is released here (expired), before the
-- reconciler would.
local refused = order_gate(K_meta, K_order, A_run_id)
if refused == 'unknown' then return R_not_found() elseif refused then return R_not_verified() end
local o = redis.call('HMGET', K_order, F_user, F_status, F_expires_at, F_node)
if not o[1] or o[1] ~= A_user then return R_not_found() end
local status = o[2]
if status == S_paid then return R_paid() end
if status ~= S_reserved then return R_gone(status, 0) end
local now = now_ms()
if now >= tonumber(o[3]) then
  release(K_meta, K_users, K_expiry, K_log, K_order, A_order_id, o[1], o[4], S_expired, now)
  return R_gone(S_expired, 1)
end
redis.call('HSET', K_order, F_status, S_paid, F_paid_at, now)
redis.call('HINCRBY', K_meta, F_paid, 1)
redis.call('ZREM', K_expiry, A_order_id)
log_change(K_log, S_paid, A_order_id, o[1], o[4], now)
return R_paid()
