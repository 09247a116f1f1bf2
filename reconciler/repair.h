// repair.h — after a Redis crash that lost its last writes (appendfsync
// everysec), MySQL may hold orders whose Redis trace vanished (their tickets
// would be sold twice) or statuses Redis lost (a payment, a release). The
// repair pages through MySQL's orders of an event and makes Redis agree
// (lua/repair_orders.lua: the further status wins).
//
// When it runs: the reserve, pay, cancel and expire scripts refuse to run on a Redis
// process whose run_id is not the event's verified_run (common/keys.h), so
// after any Redis restart nothing sells until the reconciler has drained the
// event's stream, run the full repair and then recorded the run_id it checked
// (Reconciler::CheckAgainstMySql). On a verified instance the repair runs only when
// MySQL holds more tickets than Redis's `sold` (a count compared when the
// event had changes in the pass, and once per reconciler process).
// Not thread-safe (uses the caller's clients).
#pragma once
#include <cstdint>
#include <string>

#include "common/redis_client.h"
#include "reconciler/order_store.h"

namespace seckill {

struct RepairStats {
  int64_t restored = 0;  // orders put back
  int64_t changed = 0;   // orders whose Redis status moved to MySQL's
};

// Pages through every order of `event` in MySQL when `full`; otherwise only
// when MySQL holds more tickets (reserved + paid) than Redis's `sold`.
Status RepairOrders(RedisClient* redis, OrderStore* store, const std::string& event, bool full, RepairStats* stats);

}  // namespace seckill
