-- expire.lua — release the given orders whose payment window has passed.
-- KEYS, ARGV and replies: lua/protocol.json ("expire"). The caller picks
-- candidates with ZRANGEBYSCORE on the expiry index; this script re-checks
-- each one (still reserved, window passed by Redis's clock) so a payment that
-- won the race is never undone. Refuses to run on a Redis not checked
-- against MySQL since it restarted: it may have lost a payment MySQL has.
if not verified(redis.call('HGET', K_meta, F_verified_run), A_run_id) then return R_not_verified() end
local now = now_ms()
local released = 0
for i = 1, N_orders do
  local okey, oid = G_orders(i)
  local o = redis.call('HMGET', okey, F_user, F_status, F_expires_at, F_node)
  if o[2] == S_reserved and now >= tonumber(o[3]) then
    release(K_meta, K_users, K_expiry, K_log, okey, oid, o[1], o[4], S_expired, now)
    released = released + 1
  elseif not o[1] or o[2] ~= S_reserved then
    redis.call('ZREM', K_expiry, oid)  -- stale index entry
  end
end
return R_done(released)
