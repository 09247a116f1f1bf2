-- users.lua — wrk script for the sale (scripts/sale): many distinct users POST
-- reservations for an event, one wrk run per wave, and the script tells the
-- wave's phases apart itself, so that no restart separates them:
--   selling  the thread's answers until they turn into an unbroken run of RUN
--            sold-out answers (409): the phase ends where that run began. An
--            earlier 409 (a node's allotment spent, or an answer overtaking a
--            late 201) is followed by another answer, and stays in it;
--   soldout  every answer sold out, until any thread gets another answer
--            (tickets released by the reconciler are on sale again);
--   resale   the rest of the run.
-- wrk -s users.lua URL -- EVENT USERS REPEAT_PCT SEED QUOTA RUN WINDOW_MS MARKER_DIR [OFFSET [TOKENS]]
--   USERS       distinct user ids "u<SEED>-<n>", n in 1..USERS, walked in order
--               across wrk's threads (every user clicks at least once before
--               anyone clicks twice, when the quota allows)
--   REPEAT_PCT  share of requests that re-send a random earlier user (double clicks)
--   QUOTA       each thread stops after QUOTA answers; 0: at the end of its
--               selling phase, once RUN sold-out answers in a row confirm it
--   RUN         sold-out answers in a row that end the selling phase
--   WINDOW_MS   the payment window: before a window has passed since the
--               thread's first request no ticket can have come back (the sale
--               cancels nothing), so an answer other than 409 in the sold-out
--               phase is then a late answer to a request of the selling phase,
--               and is counted there
--   MARKER_DIR  each thread writes there soldout-<tid> when its selling phase
--               ends, done-<tid> when it stops (wrk itself stops only at -d: the
--               caller ends it), and acked-<tid>: "ORDER USER" per 201
--   OFFSET      user numbers start after OFFSET (a second wave of new users)
--   TOKENS      the users' tokens, one a line: line k is user OFFSET+k's
--               (tokens.lua); each request is signed in as its user
-- A thread that stops leaves its connections' requests in flight unanswered
-- to it (wrk drops them): the server may still have served them, so the
-- stores can hold up to a connection's worth of orders more per thread than
-- the 201s counted here.
--
-- What wrk allows, and so what done() prints:
--   status CODE N, requests N, duration_us N   the run (answers counted by the
--                                              script, up to each thread's stop)
--   latency_p50_us … latency_max_us, errors    wrk's own, for the whole run:
--                                              wrk keeps one latency histogram
--                                              per run, not per phase
--   phase NAME requests|duration_us|latency_mean_us|start_ms N,
--   phase NAME status CODE N                   per phase
-- Times come from clock_gettime through LuaJIT's FFI (wrk links LuaJIT; Lua
-- has no finer clock than seconds). A phase's duration is the mean over the
-- threads of the time each spent in it (start_ms: the mean epoch ms at which
-- they entered it). Its mean latency is the time its requests were in flight
-- (the integral of the thread's requests in flight over the phase, as
-- request() and response() see them), divided by its answers: Little's law.
-- wrk's Lua cannot tell which connection an answer belongs to, so per-phase
-- percentiles are not available; a phase's boundary attributes at most its
-- requests in flight (the connections) to the neighbouring phase.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local threads = require("threads")  -- setup(), tid, print_statuses()
local tokens = require("tokens")
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } users_timespec;
  int clock_gettime(int clock_id, users_timespec *tp);
  void *calloc(size_t n, size_t size);
]]
local PHASES = { "selling", "soldout", "resale" }
local SELLING, SOLDOUT, RESALE = 1, 2, 3

local ts = ffi.new("users_timespec")
-- Epoch milliseconds (CLOCK_REALTIME, so the caller can place them on its timeline).
local function now_ms()
  ffi.C.clock_gettime(0, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

-- --- shared between threads ---------------------------------------------------
-- One double in C memory, allocated once in wrk's main Lua state and passed to
-- every thread by address (wrk's threads are threads of one process): the epoch
-- ms at which the first thread saw the event on sale again (0: not yet). An
-- aligned double is written and read whole on the machines wrk runs on; two
-- threads writing at once both write a moment of the same transition.
local thread_setup = setup
local shared_block
function setup(thread)
  thread_setup(thread)
  shared_block = shared_block or ffi.C.calloc(1, 8)
  thread:set("shared_at", tonumber(ffi.cast("uintptr_t", shared_block)))
end

-- --- one thread ------------------------------------------------------------------
local function new_bucket()
  return { requests = 0, busy_ms = 0, statuses = {}, start_ms = 0, end_ms = 0 }
end

function init(args)
  event, users = args[1], tonumber(args[2])
  repeat_pct, seed = tonumber(args[3]), args[4]
  quota, run_needed, window_ms = tonumber(args[5]), tonumber(args[6]), tonumber(args[7])
  marker_dir, offset = args[8], tonumber(args[9] or "0")
  bearer = tokens.load(args[10])
  nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
  path = "/api/events/" .. event .. "/reservations"
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  counts, n, seen, stopped = {}, 0, 0, false
  shared = ffi.cast("double *", shared_at)
  math.randomseed(tid * 7919 + os.time())
  -- stats[phase]: what done() reads; run: the current run of 409s in the
  -- selling phase, not yet known to be its end.
  stats = { new_bucket(), new_bucket(), new_bucket() }
  phase, run = SELLING, new_bucket()
  in_flight, last_ms, first_ms = 0, 0, 0
  acked = io.open(marker_dir .. "/acked-" .. tid, "w")
end

-- The bucket time and answers go to now: the run of 409s while one is open.
local function current()
  if phase == SELLING and run.requests > 0 then return run end
  return stats[phase]
end

-- Adds the time since the last event, times the requests in flight, to the current bucket.
local function tick(t)
  current().busy_ms = current().busy_ms + in_flight * (t - last_ms)
  last_ms = t
end

local function add(into, from)
  into.requests, into.busy_ms = into.requests + from.requests, into.busy_ms + from.busy_ms
  for s, k in pairs(from.statuses) do into.statuses[s] = (into.statuses[s] or 0) + k end
end

local function enter(p, t)
  stats[phase].end_ms = t
  phase = p
  stats[p].start_ms = t
end

local function marker(name)
  local f = io.open(marker_dir .. "/" .. name .. "-" .. tid, "w")
  if f then f:write(seen, "\n"); f:close() end
end

function request()
  local t = now_ms()
  if first_ms == 0 then first_ms, last_ms, stats[SELLING].start_ms = t, t, t end
  tick(t)
  in_flight = in_flight + 1
  n = n + 1
  local u
  if repeat_pct > 0 and n > 1 and math.random(100) <= repeat_pct then
    u = math.random(math.min(users, (n - 1) * nthreads))
  else
    u = ((n - 1) * nthreads + tid) % users + 1
  end
  if bearer then headers["Authorization"] = tokens.header(bearer, u) end
  return wrk.format("POST", path, headers, "user_id=u" .. seed .. "-" .. (u + offset))
end

local function stop(t)
  if stopped then return end
  stopped = true
  if phase == SELLING and run.requests > 0 then
    -- The thread's last answers were a run of 409s: the event was sold out.
    add(stats[SOLDOUT], run)
    stats[SELLING].end_ms, stats[SOLDOUT].start_ms = run.start_ms, run.start_ms
    phase = SOLDOUT
  end
  stats[phase].end_ms = t
  -- For done(): wrk copies a thread's values to the main state, but only flat
  -- tables (a nested one crashes wrk 4.1), so "PHASE FIELD" keys.
  result = {}
  for p, b in ipairs(stats) do
    for _, f in ipairs({ "requests", "busy_ms", "start_ms", "end_ms" }) do result[p .. " " .. f] = b[f] end
    for s, k in pairs(b.statuses) do result[p .. " status " .. s] = k end
  end
  if acked then acked:close() end
  marker("done")
  wrk.thread:stop()
end

function response(status, hdrs, body)
  if stopped then return end
  local t = now_ms()
  tick(t)
  if in_flight > 0 then in_flight = in_flight - 1 end
  seen = seen + 1
  counts[status] = (counts[status] or 0) + 1
  if status == 201 and acked then
    local o, u = body:match('"order_id":"([^"]+)".*"user_id":"([^"]+)"')
    if o then acked:write(o, " ", u, "\n") end
  end

  local into
  if phase == SELLING then
    if status == 409 then
      if run.requests == 0 then run = new_bucket(); run.start_ms = t end
      into = run
    else
      add(stats[SELLING], run); run = new_bucket()
      into = stats[SELLING]
    end
  elseif phase == SOLDOUT then
    local back = shared[0]
    if back > 0 and back <= t then
      enter(RESALE, back)
      into = stats[RESALE]
    elseif status == 409 then
      into = stats[SOLDOUT]
    elseif t - first_ms < window_ms then
      into = stats[SELLING]  -- a late answer to a request of the selling phase
    else
      if back == 0 or t < back then shared[0] = t end
      enter(RESALE, t)
      into = stats[RESALE]
    end
  else
    into = stats[RESALE]
  end
  into.requests = into.requests + 1
  into.statuses[status] = (into.statuses[status] or 0) + 1

  if phase == SELLING and run.requests >= run_needed then
    -- The run is the sold-out phase's start.
    stats[SELLING].end_ms = run.start_ms
    phase = SOLDOUT
    stats[SOLDOUT].start_ms = run.start_ms
    add(stats[SOLDOUT], run); run = new_bucket()
    marker("soldout")
    if quota == 0 then stop(t) return end
  end
  if quota > 0 and seen >= quota then stop(t) end
end

-- --- the whole run (wrk's main Lua state) -----------------------------------------
function done(summary, latency, requests)
  threads.print_statuses()
  local total, per = { requests = 0, ms = 0 }, {}
  for p = 1, #PHASES do per[p] = { requests = 0, busy_ms = 0, ms = 0, start_ms = 0, entered = 0, statuses = {} } end
  local nt = #threads.all
  for _, th in ipairs(threads.all) do
    local st = { new_bucket(), new_bucket(), new_bucket() }
    for key, v in pairs(th:get("result") or {}) do  -- nothing when the thread never stopped
      local p, f, s = key:match("^(%d) (%S+) ?(%d*)$")
      if f == "status" then st[tonumber(p)].statuses[tonumber(s)] = v else st[tonumber(p)][f] = v end
    end
    local t_first, t_last = math.huge, 0
    for p = 1, #PHASES do
      local b, q = st[p], per[p]
      add(q, b)
      if b.start_ms > 0 then
        q.start_ms, q.entered = q.start_ms + b.start_ms, q.entered + 1
        q.ms = q.ms + math.max(0, b.end_ms - b.start_ms)
        t_first, t_last = math.min(t_first, b.start_ms), math.max(t_last, b.end_ms)
      end
      total.requests = total.requests + b.requests
    end
    if t_last > 0 then total.ms = total.ms + (t_last - t_first) end
  end
  io.write(string.format("requests %d\nduration_us %d\n", total.requests, total.ms / nt * 1000))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("latency_p%s_us %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("latency_max_us %d\n", latency.max))
  local e = summary.errors
  io.write(string.format("errors %d\n", e.connect + e.read + e.write + e.timeout))
  for p, name in ipairs(PHASES) do
    local q = per[p]
    if q.requests > 0 then
      io.write(string.format("phase %s requests %d\n", name, q.requests))
      io.write(string.format("phase %s duration_us %d\n", name, q.ms / nt * 1000))
      io.write(string.format("phase %s latency_mean_us %d\n", name, q.busy_ms / q.requests * 1000))
      io.write(string.format("phase %s start_ms %d\n", name, q.entered > 0 and q.start_ms / q.entered or 0))
      for s, k in pairs(q.statuses) do io.write(string.format("phase %s status %d %d\n", name, s, k)) end
    end
  end
end
