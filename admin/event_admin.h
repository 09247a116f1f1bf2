// event_admin.h — putting events on sale: Redis (the live stock) and the
// node counters of this host. MySQL's copy is written by the reconciler from
// the same Redis data (reconciler/), so Redis is the only place written here.
// Not thread-safe (uses the caller's RedisClient).
#pragma once
#include <cstdint>
#include <string>

#include "common/cluster_config.h"
#include "common/redis_client.h"

namespace seckill {

struct EventSpec {
  std::string id;          // a valid id
  int64_t tickets = 0;     // > 0
  int64_t limit = 1;       // tickets one user may hold, > 0
  int64_t window_s = 900;  // payment window in seconds, > 0
  int64_t price_cents = 0;
};

// Returns Invalid when a field is out of range.
Status ValidateEventSpec(const EventSpec& spec);

// Creates the event in Redis. Returns Invalid if it exists already. Sets
// *created_at_ms, when given, to the new event's created_at (its generation
// for the node counters, common/node_counter.h).
Status CreateEvent(RedisClient* redis, const EventSpec& spec, int64_t* created_at_ms = nullptr);

// Creates the node counter rows of the event for every node whose SQLite file
// is `sqlite_dir`/<node>.sqlite, so a node knows its allotment before its
// first request (workers also create it lazily), counting for `generation`:
// the row of an earlier event of the same id starts anew. Skips nodes without
// a file.
Status PreloadNodeCounters(const ClusterConfig& cluster, const std::string& sqlite_dir, const EventSpec& spec,
                           int64_t generation);

}  // namespace seckill
