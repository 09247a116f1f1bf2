-- lib.lua — helpers shared by the scripts; scripts/embed-lua prepends this
-- file to every other script. Key layout: common/keys.h.
-- The common KEYS prefix of every script: 1 meta, 2 users, 3 exp, 4 log.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Whether the Redis process serving this script was checked against MySQL
-- since it started: `meta_verified` is the event's verified_run field, `run_id`
-- the run_id the caller read from INFO on its connection (common/keys.h). The
-- scripts that sell or change orders refuse to run until it is.
local function verified(meta_verified, run_id)
  return type(meta_verified) == 'string' and meta_verified ~= '' and meta_verified == run_id
end

-- Removes order `oid` from the orders `user` holds.
local function drop_holding(users, user, oid)
  local held = redis.call('HGET', users, user)
  if not held then return end
  local rest = {}
  for o in string.gmatch(held, '%S+') do
    if o ~= oid then rest[#rest + 1] = o end
  end
  if #rest == 0 then
    redis.call('HDEL', users, user)
  else
    redis.call('HSET', users, user, table.concat(rest, ' '))
  end
end

-- Gives the ticket of a reserved order back to the sale: the stock, the
-- user's limit and the selling node's allotment (returned:<node>), and marks
-- the order `status` (cancelled or expired). REQUIRES: the order is reserved.
local function release(keys, okey, oid, user, node, status, now)
  redis.call('HINCRBY', keys[1], 'sold', -1)
  redis.call('HINCRBY', keys[1], 'returned:' .. node, 1)
  redis.call('HINCRBY', keys[1], status, 1)  -- the operator page's count of expired / cancelled
  drop_holding(keys[2], user, oid)
  redis.call('ZREM', keys[3], oid)
  redis.call('HSET', okey, 'status', status, status .. '_at', now)
  redis.call('XADD', keys[4], '*', 't', status, 'o', oid, 'u', user, 'n', node, 'at', now)
end

