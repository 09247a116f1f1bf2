-- post_users.lua — wrk script for the benchmarks: every request is a POST
-- from a new user ("b<thread>-<n>") to PATH, with no per-response Lua
-- callback (which would cost wrk more than the answers it measures).
-- wrk -s post_users.lua URL -- PATH [BODY_PARAM]
--   BODY_PARAM  the form field that carries the user (default user_id)
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
  prefix = param .. "=b" .. tid .. "-" .. os.time() .. "-"
end

function request()
  n = n + 1
  return wrk.format("POST", path, headers, prefix .. n)
end
