-- users.lua — wrk script: POSTs reservations from many distinct users.
-- Arguments (after --): EVENT USERS [REPEAT_PERCENT] [SEED]
--   USERS           distinct user ids (u<seed>-<n>), spread over wrk's threads
--   REPEAT_PERCENT  share of requests that re-send an earlier user (double clicks)
-- Each thread counts answers by status; done() prints "status N" lines and
-- the latency percentiles, which scripts/sale parses.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  thread:set("nthreads", 0)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  event = args[1] or "default"
  users = tonumber(args[2] or "1000000")
  repeat_pct = tonumber(args[3] or "0")
  seed = args[4] or "0"
  path = "/api/events/" .. event .. "/reservations"
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  counts = {}
  n = 0
  math.randomseed(tid * 7919 + os.time())
end

function request()
  n = n + 1
  local u
  if repeat_pct > 0 and math.random(100) <= repeat_pct then
    u = math.random(users)
  else
    -- walk the user ids in a thread-interleaved order so each is used once first
    u = ((n - 1) * 64 + tid) % users + 1
  end
  return wrk.format("POST", path, headers, "user_id=u" .. seed .. "-" .. u)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for s, k in pairs(c) do total[s] = (total[s] or 0) + k end
  end
  for s, k in pairs(total) do io.write(string.format("status %d %d\n", s, k)) end
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("duration_us %d\n", summary.duration))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("latency_p%s_us %d\n", p, latency:percentile(p)))
  end
  io.write(string.format("errors_connect %d\nerrors_read %d\nerrors_write %d\nerrors_timeout %d\nerrors_status %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status))
end
