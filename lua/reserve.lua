-- reserve.lua — reserve one ticket of an event for a user, atomically.
-- KEYS, ARGV and replies: lua/protocol.json ("reserve"). `returned` is how
-- many tickets this node sold that were later released: the node may sell
-- that many beyond its allotment (common/node_counter.h); `generation` is the
-- event's created_at, which tells the node an event id created again.
-- Every redis.call costs (more so for writes, which are propagated to the
-- AOF one by one): the success path makes eight.
local m = redis.call('HMGET', K_meta, F_total, F_sold, F_limit, F_window, F_returned_prefix .. A_node, F_verified_run,
                     F_created_at, F_opens_at, F_closes_at)
if not m[1] then return R_no_event() end
if not verified(m[6], A_run_id) then return R_not_verified() end
local total, sold = tonumber(m[1]), tonumber(m[2])
local limit, window = tonumber(m[3]), tonumber(m[4])
local returned = tonumber(m[5] or '0')
local generation = tonumber(m[7] or '0')
-- The stock check: strictly sold < total (the seed article compared the other
-- way round and sold one ticket too many).
if sold >= total then return R_sold_out(returned, generation) end

-- The opening time, by Redis's clock: the fronts' not-open flags keep the
-- flood before it away from the workers (fcgi/opening_flag.h), and this
-- refuses whatever comes past a front whose flag is missing, so nothing is
-- ever sold early. An event without opens_at (made before it existed) is
-- open. After the stock check, which needs no clock: a sold-out answer
-- costs no TIME call (nothing sells before the opening, so an event that
-- is not open yet is never sold out).
local opens, closes = tonumber(m[8] or '0'), tonumber(m[9] or '0')
local now = nil
if opens > 0 or closes > 0 then
  now = now_ms()
  if now < opens then return R_not_open(opens) end
  if closes > 0 and now >= closes then return R_closed(closes) end
end

-- The per-user limit. With the usual limit of one, HSETNX both checks and
-- records the holding.
if limit == 1 then
  if redis.call('HSETNX', K_users, A_user, A_order_id) == 0 then
    return R_limit_reached(redis.call('HGET', K_users, A_user), returned)
  end
else
  local held = redis.call('HGET', K_users, A_user)
  if held then
    local n, first = 0, nil
    for o in string.gmatch(held, '%S+') do
      n = n + 1
      first = first or o
    end
    if n >= limit then return R_limit_reached(first, returned) end
  end
  redis.call('HSET', K_users, A_user, held and (held .. ' ' .. A_order_id) or A_order_id)
end

now = now or now_ms()
local expires = now + window * 1000
redis.call('HINCRBY', K_meta, F_sold, 1)
redis.call('HSET', K_order, F_user, A_user, F_node, A_node, F_status, S_reserved,
           F_reserved_at, now, F_expires_at, expires)
redis.call('ZADD', K_expiry, expires, A_order_id)
log_change(K_log, S_reserved, A_order_id, A_user, A_node, now, expires)
return R_reserved(expires, returned, generation)
