// event_stream.h — the reconciler's side of an event's Redis stream
// (ev:{E}:log) and its consumer group "reconciler".
//
// Every run reads as the same consumer ("reconciler"), so a run first re-reads
// the entries a killed run left pending (read, not acknowledged), then new
// ones. Entries are acknowledged only after their MySQL transaction has
// committed. Two runs at once may both write the same pending entries: the
// upserts are idempotent, so that costs time, not correctness.
// Not thread-safe, but Read and Ack may run in another thread than the
// other calls when it has a `reader` client of their own (one at a time).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/keys.h"
#include "common/redis_client.h"
#include "common/redis_time.h"
#include "reconciler/order_change.h"
#include "reconciler/order_store.h"

namespace seckill {

class EventStream {
 public:
  // Read and Ack use `reader` when given, everything else `redis`.
  EventStream(RedisClient* redis, const std::string& event, RedisClient* reader = nullptr)
      : redis_(redis), reader_(reader ? reader : redis), keys_(event) {}

  // Reads up to `count` entries: pending ones first, then new ones. Entries
  // that cannot be parsed (malformed) are put in *skipped to be
  // acknowledged. A pending entry whose content was trimmed away is Internal:
  // its change may be missing from MySQL, and it is never acknowledged
  // silently. Returns Ok with nothing when the stream is drained.
  Status Read(size_t count, std::vector<OrderChange>* changes, std::vector<std::string>* skipped);

  // Acknowledges `ids` (after their MySQL commit).
  Status Ack(const std::vector<std::string>& ids);

  // Deletes acknowledged entries: everything below the oldest pending one
  // (or below the last delivered one when none is pending), in one atomic
  // step (lua/trim_stream.lua): another run's unacknowledged entries stay.
  Status Trim();

  // Age in ms of the oldest entry not yet acknowledged (0 when none).
  Status Lag(int64_t now_ms, int64_t* lag_ms);

  // Reads the event's settings from ev:{E}. NotFound when it has none.
  Status ReadEvent(EventRow* row);

  const EventKeys& keys() const { return keys_; }

 private:
  Status OldestPending(std::string* id);   // empty when none is pending
  Status LastDelivered(std::string* id);  // the group's last-delivered-id
  RedisClient* redis_;
  RedisClient* reader_;
  EventKeys keys_;
  std::string cursor_ = "0";  // "0": re-reading this consumer's pending entries; ">" after
};

}  // namespace seckill
