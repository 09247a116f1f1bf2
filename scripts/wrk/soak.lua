-- soak.lua — wrk script for the soak: new users reserve, and each ticket is
-- cancelled right after, so the stock never runs out and every path that
-- writes (reserve, cancel, the reconciler, expiry of finished orders) runs
-- for as long as the soak lasts.
-- wrk -s soak.lua URL -- EVENT RATE THREADS [TOKENS PREFIX]
--   RATE      requests a second, all threads together (0: as fast as the
--             connections go); each thread sends its share on a schedule, a
--             request every THREADS / RATE s, so a slower answer shortens
--             the next pause instead of lowering the rate (until no
--             connection is free: then the rate is what they can do)
--   THREADS   wrk's -t
--   TOKENS    the users' tokens, one a line (tokens.lua): reservation k of the
--             run (all threads) is user PREFIX<k>'s, signed in with line k's
--             token, and so is its cancellation; without TOKENS, the users
--             are "s<thread>-<time>-<n>" and nothing is signed in
-- done() prints "status CODE N" lines, the totals and the socket errors.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local threads = require("threads")  -- setup(), tid, print_statuses()
local tokens = require("tokens")
local ffi = require("ffi")  -- wrk runs LuaJIT: a monotonic clock in ms
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } soak_timespec;
int clock_gettime(int clock_id, soak_timespec *tp);
]]
local CLOCK_MONOTONIC, ts = 1, ffi.new("soak_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

function init(args)
  event = args[1]
  local rate, nthreads = tonumber(args[2] or "0"), tonumber(args[3] or "1")
  interval = rate > 0 and 1000 * nthreads / rate or 0  -- ms between this thread's requests
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  n, counts, pending = 0, {}, {}
  prefix = "s" .. tid .. "-" .. os.time() .. "-"
  step = nthreads
  bearer = tokens.load(args[4])
  if bearer then prefix = args[5] or "s" end
end

-- The pause before a request: until the thread's next free slot. A slot
-- missed because every connection was busy is not made up later.
function delay()
  if interval == 0 then return 0 end
  local now = now_ms()
  next_at = math.max((next_at or now) + interval, now)
  return next_at - now
end

function request()
  local p = table.remove(pending)
  if p then
    if bearer then headers["Authorization"] = tokens.header(bearer, tonumber(p[2]:match("(%d+)$"))) end
    return wrk.format("POST", "/api/orders/" .. p[1] .. "/cancellation", headers, "user_id=" .. p[2])
  end
  n = n + 1
  if bearer then
    local k = (n - 1) * step + tid + 1  -- the threads take turns: user k reserves once
    headers["Authorization"] = tokens.header(bearer, k)
    return wrk.format("POST", "/api/events/" .. event .. "/reservations", headers, "user_id=" .. prefix .. k)
  end
  return wrk.format("POST", "/api/events/" .. event .. "/reservations", headers, "user_id=" .. prefix .. n)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == 201 then
    local o, u = body:match('"order_id":"([^"]+)".*"user_id":"([^"]+)"')
    if o then table.insert(pending, { o, u }) end
  end
end

function done(summary, latency, requests)
  threads.print_statuses()
  local e = summary.errors
  io.write(string.format("requests %d\nduration_us %d\nlatency_p99_us %d\nsocket_errors %d\n", summary.requests,
    summary.duration, latency:percentile(99), e.connect + e.read + e.write + e.timeout))
end
