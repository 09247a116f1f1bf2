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
  int64_t opens_at_ms = 0;   // reservations open then (Unix ms, by Redis's clock); 0: at once
  int64_t closes_at_ms = 0;  // and close then; 0: never. > opens_at_ms when both are set
};

// Parses an instant given on the command line: Unix seconds ("1764367200",
// "1764367200.25") or ISO-8601 ("2026-11-28T22:00:00Z", with optional
// fractional seconds, a "+01:00"-style offset, a space instead of the "T";
// without a zone it is UTC). Sets *ms to Unix milliseconds; Invalid otherwise.
Status ParseInstant(const std::string& text, int64_t* ms);

// Returns Invalid when a field is out of range.
Status ValidateEventSpec(const EventSpec& spec);

// Creates the event in Redis. Returns Invalid if it exists already. An event
// with an opening time is also listed in seckill:opening (keys.h) for the
// fronts' opening watchers (fcgi/opening_flag.h). Sets *created_at_ms, when
// given, to the new event's created_at (its generation for the node
// counters, common/node_counter.h).
Status CreateEvent(RedisClient* redis, const EventSpec& spec, int64_t* created_at_ms = nullptr);

// Creates the node counter rows of the event for every node whose SQLite file
// is `sqlite_dir`/<node>.sqlite, so a node knows its allotment before its
// first request (workers also create it lazily), counting for `generation`:
// the row of an earlier event of the same id starts anew. Skips nodes without
// a file.
Status PreloadNodeCounters(const ClusterConfig& cluster, const std::string& sqlite_dir, const EventSpec& spec,
                           int64_t generation);

}  // namespace seckill
