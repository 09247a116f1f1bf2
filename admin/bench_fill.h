// bench_fill.h — many reservations made directly in Redis by the real
// reserve.lua, as fast as Redis takes them: the benchmark's way to give an
// event a history (`seckill-admin fill`, scripts/bench). The calls are the
// generated typed ones (build/gen/lua_protocol.h), pipelined; nothing here
// knows the script's arguments by position. Not thread-safe (uses the
// caller's RedisClient).
#pragma once
#include <cstdint>
#include <string>

#include "common/redis_client.h"

namespace seckill {

// Reserves `count` tickets of `event` for users f1..f<count>, order ids
// <event>-<i as 32 hex digits>, nodes n1..n4 in turn. Returns Internal
// naming the first reservation that was refused (sold out, limit, not
// verified), Unavailable when Redis is.
Status FillReservations(RedisClient* redis, const std::string& event, int64_t count);

}  // namespace seckill
