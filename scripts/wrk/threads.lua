-- threads.lua — what the wrk scripts that count answers share: each thread's
-- number (`tid`, from 0) and, at the end, the answers of all threads added up.
-- A script loads it with
--   package.path = (debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "?.lua;" .. package.path
--   local threads = require("threads")
-- and keeps its answers by status in a global table `counts`.
local M = { all = {} }
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(M.all, thread)
end

-- Prints "status CODE N" for the answers of every thread.
function M.print_statuses()
  local total = {}
  for _, t in ipairs(M.all) do
    for s, k in pairs(t:get("counts")) do total[s] = (total[s] or 0) + k end
  end
  for s, k in pairs(total) do io.write(string.format("status %d %d\n", s, k)) end
end

return M
