-- post_users.lua — wrk script for the benchmarks: every request is a POST
-- from a new user to PATH, with no per-response Lua callback (which would
-- cost wrk more than the answers it measures).
-- wrk -s post_users.lua URL -- PATH [BODY_PARAM [TOKENS [PREFIX]]]
--   BODY_PARAM  the form field that names the user (default user_id)
--   TOKENS      the users' tokens, one a line (tokens.lua): the request k of
--               the run (all threads) is user k's, signed in with line k's
--               token and named PREFIX<k>; without TOKENS, the users are
--               "b<thread>-<time>-<n>" and no request is signed in
package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
local tokens = require("tokens")
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

function init(args)
  path = args[1]
  param = args[2] or "user_id"
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  n = 0
  bearer = tokens.load(args[3])
  if bearer then
    prefix = param .. "=" .. (args[4] or "b")
    step = tonumber(os.getenv("WRK_THREADS") or "2")  -- wrk's -t (the caller's)
  else
    prefix = param .. "=b" .. tid .. "-" .. os.time() .. "-"
  end
end

function request()
  n = n + 1
  if bearer then
    local k = (n - 1) * step + tid + 1  -- the threads take turns: user k is sent once
    headers["Authorization"] = tokens.header(bearer, k)
    return wrk.format("POST", path, headers, prefix .. k)
  end
  return wrk.format("POST", path, headers, prefix .. n)
end
