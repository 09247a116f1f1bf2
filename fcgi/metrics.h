// metrics.h — a node's Prometheus metrics, kept in a shared-memory file per
// node (var/run/metrics/<node>.shm) that every process of the node maps.
//
// Each process claims one slot of the file (its pid; a slot of a dead
// process is taken over with its counts, so the node's totals never go
// backwards) and only ever writes its own slot, with relaxed atomic adds: no
// locks on the request path. Any process of the node renders the node's
// totals, the sum over the slots, in the Prometheus text format 0.0.4.
// A Metrics object belongs to one process; the file is shared by the node.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "common/node_counter.h"
#include "fcgi/response.h"
#include "fcgi/router.h"

namespace seckill {

constexpr int kEndpointCount = static_cast<int>(Endpoint::kStatus) + 1;
constexpr int kOutcomeCount = static_cast<int>(Outcome::kCount);
constexpr int kBucketCount = 12;  // the last one is +Inf
extern const double kLatencyBuckets[kBucketCount - 1];  // seconds

class Metrics {
 public:
  static constexpr int kSlots = 64;

  Metrics() = default;
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Maps (creating if needed) the node's file and claims a slot.
  Status Open(const std::string& path);
  // Maps an existing file to read its totals only (another node's, for the
  // operator status). NotFound when there is no such file.
  Status OpenToRead(const std::string& path);

  // Counts one answered request. Safe to call before Open (does nothing).
  void Count(Endpoint e, Outcome o, double seconds);
  // Adds to the Redis and SQLite counters of this process.
  void AddRedis(uint64_t round_trips, uint64_t errors);
  void AddSqlite(uint64_t busy, uint64_t retries);

  // The node's metrics in the Prometheus text format, with the node counter's
  // rows (allotment, taken, returned per event) from `counter`.
  std::string Render(const std::string& node, NodeCounter* counter) const;

  // Totals over every slot: requests with outcome `o`, and all requests.
  uint64_t Total(Outcome o) const;
  uint64_t TotalRequests() const;

  struct Slot;
  struct Shared;

 private:
  Shared* shared_ = nullptr;
  Slot* mine_ = nullptr;
};

}  // namespace seckill
