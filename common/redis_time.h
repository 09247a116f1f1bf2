// redis_time.h — Redis's clock (TIME), in ms: the clock every Lua script
// judges expiry by (common/order_status.h, invariant 4), so C++ that picks
// candidates or measures lag against script-written times reads it too.
// Uses the caller's client; as thread-safe as that client (not).
#pragma once
#include <cstdint>

#include "common/redis_client.h"

namespace seckill {

// Sets *now_ms to the server's time. Unavailable when Redis cannot be reached.
Status RedisNowMillis(RedisClient* redis, int64_t* now_ms);

}  // namespace seckill
