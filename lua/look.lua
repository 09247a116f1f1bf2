-- look.lua — an order as its owner sees it (GET /api/orders/{id}). A
-- reservation past its payment window reads as expired by Redis's clock, the
-- clock pay.lua and expire.lua judge it by, before the reconciler releases it.
-- KEYS, ARGV and replies: lua/protocol.json ("look"). Changes nothing.
local o = redis.call('HMGET', K_order, F_user, F_status, F_node, F_reserved_at, F_expires_at)
if not o[1] or o[1] ~= A_user then return R_not_found() end
local status = o[2]
if status == S_reserved and now_ms() >= tonumber(o[5]) then status = S_expired end
return R_found(status, o[3], o[4], o[5])
