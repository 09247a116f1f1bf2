-- soak.lua — wrk script for the soak: users reserve, and each ticket is
-- cancelled right after, so the stock never runs out and every path that
-- writes (reserve, cancel, the reconciler, expiry of finished orders) runs
-- for as long as the soak lasts.
-- wrk -s soak.lua URL -- EVENT RATE THREADS [USERS [TOKENS PREFIX]]
--   RATE      requests a second, all threads together (0: as fast as the
--             connections go); each thread sends its share on a schedule, a
--             request every THREADS / RATE s, so a slower answer shortens
--             the next pause instead of lowering the rate (until no
--             connection is free: then the rate is what they can do)
--   THREADS   wrk's -t
--   USERS     the population, all threads together (0 or none: a new user
--             for each reservation); the threads take turns over it, so a
--             user comes back after USERS reservations of the run, long
--             after its cancellation
--   TOKENS    the users' tokens, one a line (tokens.lua): user k is
--             PREFIX<k>, signed in with line k's token, for its reservations
--             and their cancellations; without TOKENS, the users are
--             "s<thread>-<time>-<n>" and nothing is signed in
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
  population = tonumber(args[4] or "0")
  bearer = tokens.load(args[5])
  if bearer then prefix = args[6] or "s" end
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
    local k = (n - 1) * step + tid  -- the threads take turns
    k = (population > 0 and k % population or k) + 1
    headers["Authorization"] = tokens.header(bearer, k)
    return wrk.format("POST", "/api/events/" .. event .. "/reservations", headers, "user_id=" .. prefix .. k)
  end
  local user = population > 0 and (n - 1) % math.max(1, math.floor(population / step)) + 1 or n
  return wrk.format("POST", "/api/events/" .. event .. "/reservations", headers, "user_id=" .. prefix .. user)
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
