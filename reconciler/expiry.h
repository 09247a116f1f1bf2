// expiry.h — gives expired unpaid reservations back to the sale.
//
// Candidates come from the event's expiry index (ev:{E}:exp, scored by
// expires-at) by Redis's own clock; lua/expire.lua re-checks and releases
// each one atomically (stock, the user's limit, the selling node's returned
// count, the order's status, a stream entry the mover then writes to MySQL).
// Released tickets are then sellable through the nodes again (returned:<node>,
// common/node_counter.h) and the fronts' sold-out flags are lowered by their
// watchers (fcgi/soldout_flag.h). Not thread-safe.
#pragma once
#include <cstdint>

#include "common/keys.h"
#include "common/redis_client.h"

namespace seckill {

// Releases up to `max_total` orders of the event whose window has passed,
// `batch` per script call. Adds the number released to *released. Returns
// Unavailable, releasing nothing, on a Redis process not verified for the
// event (common/keys.h: verified_run).
Status ReleaseExpired(RedisClient* redis, const EventKeys& keys, size_t batch, int64_t max_total, int64_t* released);

}  // namespace seckill
