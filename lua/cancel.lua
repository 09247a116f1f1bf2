-- cancel.lua — the owner gives a reserved ticket back; it is on sale at once.
-- KEYS, ARGV and replies: lua/protocol.json ("cancel"). `released` says
-- whether this call gave a ticket back (the caller lowers the sold-out flag
-- only then). A user may cancel A_cancel_limit times per event (0: no cap):
-- the count is in K_cancels, and a reserve→cancel loop stops there (the
-- order stays reserved: paid, or expired at the end of its window).
local refused = order_gate(K_meta, K_order, A_run_id)
if refused == 'unknown' then return R_not_found() elseif refused then return R_not_verified() end
local o = redis.call('HMGET', K_order, F_user, F_status, F_expires_at, F_node)
if not o[1] or o[1] ~= A_user then return R_not_found() end
local status = o[2]
if status == S_cancelled then return R_cancelled(0) end
if status == S_paid then return R_paid() end
if status ~= S_reserved then return R_gone(0) end
local now = now_ms()
if now >= tonumber(o[3]) then
  release(K_meta, K_users, K_expiry, K_log, K_order, A_order_id, o[1], o[4], S_expired, now)
  return R_gone(1)
end
local limit = tonumber(A_cancel_limit)
if limit > 0 then
  if tonumber(redis.call('HGET', K_cancels, A_user) or '0') >= limit then return R_cancel_limit_reached(limit) end
  redis.call('HINCRBY', K_cancels, A_user, 1)
end
release(K_meta, K_users, K_expiry, K_log, K_order, A_order_id, o[1], o[4], S_cancelled, now)
return R_cancelled(1)
