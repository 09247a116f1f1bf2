-- tokens.lua — the buyers' tokens of a load run, minted before it (scripts/lib.sh's
-- mint_tokens: seckill-admin token, one token a line, line k the token of the
-- run's user k). A wrk script loads them once per thread and sends each
-- request with its user's "Authorization: Bearer <token>" (docs/api.md).
--   local tokens = require("tokens")
--   local t = tokens.load(path)      -- nil when path is nil or "" (no tokens: unsigned requests)
--   headers["Authorization"] = tokens.header(t, k)   -- user k's header value
-- A user number past the file's end wraps around to its start (the run then
-- re-sends earlier users: a caller mints as many as its run can use).
local M = {}

function M.load(path)
  if path == nil or path == "" then return nil end
  local f = assert(io.open(path, "r"), "cannot read the tokens file " .. path)
  local t = {}
  for line in f:lines() do
    if line ~= "" then t[#t + 1] = "Bearer " .. line end
  end
  f:close()
  assert(#t > 0, "no tokens in " .. path)
  return t
end

function M.header(t, k)
  return t[(k - 1) % #t + 1]
end

return M
