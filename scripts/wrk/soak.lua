-- soak.lua — wrk script for the soak: new users reserve, and each ticket is
-- cancelled right after, so the stock never runs out and every path that
-- writes (reserve, cancel, the reconciler, expiry of finished orders) runs
-- for as long as the soak lasts.
-- wrk -s soak.lua URL -- EVENT DELAY_MS
--   DELAY_MS  pause of each connection before each request: sets the rate
--             (about connections × 1000 / (DELAY_MS + latency) requests/s);
--             a fraction is kept on average (wrk pauses whole milliseconds)
-- done() prints "status CODE N" lines, the totals and the socket errors.
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local threads = require("threads")  -- setup(), tid, print_statuses()

function init(args)
  event, pause = args[1], tonumber(args[2] or "0")
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  n, counts, pending = 0, {}, {}
  prefix = "s" .. tid .. "-" .. os.time() .. "-"
end

-- Whole milliseconds, one more with the probability of the fraction.
function delay()
  local whole = math.floor(pause)
  if math.random() < pause - whole then return whole + 1 end
  return whole
end

function request()
  local p = table.remove(pending)
  if p then
    return wrk.format("POST", "/api/orders/" .. p[1] .. "/cancellation", headers, "user_id=" .. p[2])
  end
  n = n + 1
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
