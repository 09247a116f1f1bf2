-- trim_stream.lua — delete an event's acknowledged stream entries (the
-- reconciler's trim, reconciler/event_stream.h). KEYS, ARGV and replies:
-- lua/protocol.json ("trim_stream"). The oldest pending entry (read by a
-- reconciler, its MySQL commit not yet acknowledged) and the group's last
-- delivered id are read and the stream trimmed in one atomic step: no other
-- reconciler can read new entries in between, so no entry a reconciler holds
-- is ever trimmed away. An entry is delivered before it is pending, so below
-- the last delivered id every entry is acknowledged or pending.
if redis.call('EXISTS', K_log) == 0 then return R_trimmed(0) end
local pending = redis.call('XPENDING', K_log, A_group_name)
local below = nil
if pending[1] > 0 then
  below = pending[2]
else
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', K_log)) do
    local name, last = nil, nil
    for i = 1, #group, 2 do
      if group[i] == 'name' then name = group[i + 1] elseif group[i] == 'last-delivered-id' then last = group[i + 1] end
    end
    if name == A_group_name then below = last end
  end
end
if not below or below == '0-0' then return R_trimmed(0) end
return R_trimmed(redis.call('XTRIM', K_log, 'MINID', below))
