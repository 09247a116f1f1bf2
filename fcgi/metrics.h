// metrics.h — a node's Prometheus metrics, kept in a shared-memory file per
// node (var/run/metrics/<node>.shm) that every process of the node maps.
//
// Each process claims one slot of the file (its pid; a slot of a dead
// process is taken over with its counts, so the node's totals never go
// backwards) and only ever writes its own slot, with relaxed atomic adds: no
// locks on the request path. Any process of the node renders the node's
// totals, the sum over the slots, in the Prometheus text format 0.0.4.
// A Metrics object belongs to one process; the file is shared by the node.
//
// The counts are indexed by endpoint and outcome up to explicit counts,
// checked below against the name tables (EndpointName, OutcomeName) at
// compile time, and every index is checked at run time: a value past a count
// is counted nowhere but in `uncounted` (and logged once per process); no
// write ever lands outside its array.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/node_counter.h"
#include "fcgi/response.h"
#include "fcgi/router.h"

namespace seckill {

// The dimensions of the counts; the shared file's layout depends on them.
constexpr int kEndpointCount = 11;  // Endpoint::kNotFound … Endpoint::kStatus
constexpr int kOutcomeCount = 10;   // Outcome::kReserved … Outcome::kInternal
constexpr int kBucketCount = 12;    // the last one is +Inf
extern const double kLatencyBuckets[kBucketCount - 1];  // seconds

// True when indexes 0 … count-1 have a name and index `count` has none: the
// count is exactly the name table's length.
template <typename Enum>
constexpr bool CountsItsNames(const char* (*name)(Enum), int count) {
  for (int i = 0; i < count; i++)
    if (std::string_view(name(static_cast<Enum>(i))) == "unknown") return false;
  return std::string_view(name(static_cast<Enum>(count))) == "unknown";
}
static_assert(CountsItsNames(EndpointName, kEndpointCount),
              "kEndpointCount must be the number of endpoints named by EndpointName (router.h)");
static_assert(CountsItsNames(OutcomeName, kOutcomeCount),
              "kOutcomeCount must be the number of outcomes named by OutcomeName (response.h)");
static_assert(kOutcomeCount == static_cast<int>(Outcome::kCount), "Outcome::kCount and kOutcomeCount differ");

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
  // An endpoint or outcome past its count (a value that is no endpoint or
  // outcome) is counted only as uncounted, and logged the first time;
  // `seconds` is clamped to [0, 1e6] (a negative or NaN one counts as 0).
  void Count(Endpoint e, Outcome o, double seconds);
  // Adds to the Redis and SQLite counters of this process.
  void AddRedis(uint64_t round_trips, uint64_t errors);
  void AddSqlite(uint64_t busy, uint64_t retries);

  // The node's metrics in the Prometheus text format, with the node counter's
  // rows (allotment, taken, returned per event) from `counter`.
  std::string Render(const std::string& node, NodeCounter* counter) const;

  // Totals over every slot: requests with outcome `o` (0 for a value that is
  // no outcome), all requests, and the requests Count could not file.
  uint64_t Total(Outcome o) const;
  uint64_t TotalRequests() const;
  uint64_t Uncounted() const;

  struct Slot;
  struct Shared;

 private:
  Shared* shared_ = nullptr;
  Slot* mine_ = nullptr;
  bool logged_uncounted_ = false;  // Count has logged an out-of-range request
};

}  // namespace seckill
