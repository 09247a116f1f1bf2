-- create_event.lua — put a new event on sale. KEYS, ARGV and replies:
-- lua/protocol.json ("create_event"). A new event has nothing in MySQL to be
-- checked against: it is verified for the server that creates it.
-- opens_at is always written: the creation time when the sale opens at once.
if redis.call('EXISTS', K_meta) == 1 then return R_exists() end
local now = now_ms()
local opens = tonumber(A_opens_at_ms)
if opens <= 0 then opens = now end
redis.call('HSET', K_meta, F_total, A_total, F_sold, 0, F_limit, A_limit, F_window, A_window_s,
           F_price, A_price_cents, F_created_at, now, F_verified_run, A_run_id, F_opens_at, opens)
if tonumber(A_closes_at_ms) > 0 then redis.call('HSET', K_meta, F_closes_at, A_closes_at_ms) end
-- The reconciler's consumer group reads the stream from its first entry.
redis.call('XGROUP', 'CREATE', K_log, A_group_name, '0', 'MKSTREAM')
return R_created()
