-- users.lua — wrk script: many distinct users POST reservations for an event.
-- wrk -s users.lua URL -- EVENT USERS REPEAT_PCT SEED MODE QUOTA MARKER_DIR [OFFSET [START]]
--   USERS       distinct user ids "u<SEED>-<n>", n in 1..USERS, walked in order
--               across wrk's threads (every user clicks at least once before
--               anyone clicks twice, when QUOTA allows)
--   REPEAT_PCT  share of requests that re-send a random earlier user (double clicks)
--   MODE        "count": each thread stops after QUOTA responses;
--               "soldout": each thread stops after QUOTA sold-out answers in a row
--   MARKER_DIR  each thread that stops writes MARKER_DIR/thread-<n>, so the
--               caller knows when to end wrk (wrk itself only stops at -d)
--   OFFSET      user numbers start after OFFSET (a second wave of new users)
--   START       each thread goes on from its request number START (a run that
--               continues an earlier one's walk through the users)
-- done() prints "status CODE N" lines, the request count, duration and
-- latency percentiles (µs), which scripts/sale parses.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local threads = require("threads")  -- setup(), tid, print_statuses()

function init(args)
  event, users = args[1], tonumber(args[2])
  repeat_pct, seed = tonumber(args[3]), args[4]
  mode, quota, marker_dir = args[5], tonumber(args[6]), args[7]
  offset = tonumber(args[8] or "0")
  nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
  path = "/api/events/" .. event .. "/reservations"
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  counts, n, seen, soldout_run, stopped = {}, tonumber(args[9] or "0"), 0, 0, false
  math.randomseed(tid * 7919 + os.time())
end

function request()
  n = n + 1
  local u
  if repeat_pct > 0 and n > 1 and math.random(100) <= repeat_pct then
    u = math.random(math.min(users, (n - 1) * nthreads))
  else
    u = ((n - 1) * nthreads + tid) % users + 1
  end
  return wrk.format("POST", path, headers, "user_id=u" .. seed .. "-" .. (u + offset))
end

local function stop()
  if stopped then return end
  stopped = true
  local f = io.open(marker_dir .. "/thread-" .. tid, "w")
  if f then f:write(seen, "\n"); f:close() end
  wrk.thread:stop()
end

function response(status, headers, body)
  if stopped then return end
  seen = seen + 1
  counts[status] = (counts[status] or 0) + 1
  if mode == "count" then
    if seen >= quota then stop() end
  else
    if status == 409 then soldout_run = soldout_run + 1 else soldout_run = 0 end
    if soldout_run >= quota then stop() end
  end
end

function done(summary, latency, requests)
  threads.print_statuses()
  io.write(string.format("requests %d\nduration_us %d\n", summary.requests, summary.duration))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("latency_p%s_us %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("latency_max_us %d\n", latency.max))
  local e = summary.errors
  io.write(string.format("errors %d\n", e.connect + e.read + e.write + e.timeout))
end
