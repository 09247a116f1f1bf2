-- lib.lua — helpers shared by the scripts: scripts/protocol-gen puts this file
-- after each script's generated preamble (its KEYS as K_*, ARGV as A_*, the
-- group accessor G_*, the reply constructors R_*, and the names F_* / E_* /
-- S_* of common/keys.h and common/order_status.h) and before the script.

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

-- The gate of the scripts that change an order (pay, cancel): nil when this
-- Redis process may change the event's orders; 'unknown' when there is no
-- such event and no such order (404); 'unverified' otherwise (503), also for
-- an order whose event is missing because it is being rebuilt
-- (--rebuild-redis writes ev:{E} last).
local function order_gate(meta, okey, run_id)
  local checked = redis.call('HGET', meta, F_verified_run)
  if verified(checked, run_id) then return nil end
  if not checked and redis.call('EXISTS', okey) == 0 then return 'unknown' end
  return 'unverified'
end

-- Whether `oid` is among the space-separated order ids `held`.
local function holds(held, oid)
  for o in string.gmatch(held or '', '%S+') do
    if o == oid then return true end
  end
  return false
end

-- Removes order `oid` from the orders `user` holds in the hash `users`.
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

-- Appends the stream entry of a transition (common/order_status.h): the
-- order `oid` of `user`, sold by `node`, moved to `status` at `now`.
local function log_change(log, status, oid, user, node, now, expires)
  if expires then
    redis.call('XADD', log, '*', E_type, status, E_order, oid, E_user, user, E_node, node, E_at, now, E_exp, expires)
  else
    redis.call('XADD', log, '*', E_type, status, E_order, oid, E_user, user, E_node, node, E_at, now)
  end
end

-- Gives the ticket of a reserved order back to the sale: the stock, the
-- user's limit and the selling node's allotment (returned:<node>), and marks
-- the order `status` (cancelled or expired) with a stream entry.
-- REQUIRES: the order is reserved.
local function release(meta, users, expiry, log, okey, oid, user, node, status, now)
  local expired = status == S_expired
  redis.call('HINCRBY', meta, F_sold, -1)
  redis.call('HINCRBY', meta, F_returned_prefix .. node, 1)
  redis.call('HINCRBY', meta, expired and F_expired or F_cancelled, 1)  -- the operator page's counts
  drop_holding(users, user, oid)
  redis.call('ZREM', expiry, oid)
  redis.call('HSET', okey, F_status, status, expired and F_expired_at or F_cancelled_at, now)
  log_change(log, status, oid, user, node, now)
end

