// repair.h — after a Redis crash that lost its last writes (appendfsync
// everysec), MySQL may hold orders whose Redis trace vanished: their tickets
// would be sold twice. When an event's MySQL holds more tickets (reserved +
// paid) than Redis's `sold`, the reconciler pages through MySQL's orders of
// the event and puts back every held order that Redis lost entirely
// (lua/restore_orders.lua). Not thread-safe (uses the caller's clients).
#pragma once
#include <cstdint>
#include <string>

#include "common/redis_client.h"
#include "reconciler/order_store.h"

namespace seckill {

// Adds the number of orders put back to *restored. Returns Ok when MySQL
// holds no more than Redis (nothing to do).
Status RepairVanishedOrders(RedisClient* redis, OrderStore* store, const std::string& event, int64_t* restored);

}  // namespace seckill
