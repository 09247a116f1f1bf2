// metrics.h — a node's Prometheus metrics, kept in a shared-memory file per
// node (var/run/metrics/<node>.shm) that every process of the node maps.
//
// Each process claims one slot of the file (its pid; a slot freed by a clean
// exit, or of a dead process, is taken over with its counts, so the node's
// totals never go backwards) and only ever writes its own slot, with relaxed
// atomic adds: no locks on the request path. Any process of the host renders
// the totals, the sums over the slots, in the Prometheus text format 0.0.4.
// A Metrics object belongs to one process; the file is shared by the node.
//
// What a scrape sees (RenderScrape), so that Prometheus rules stay simple:
//   - one answer per host: every node of the host (every node with a file in
//     the host's metrics directory), each sample labelled node="…";
//   - every series from zero: each endpoint × outcome counter, each
//     endpoint's histogram and each per-node counter is there before the
//     first request, so rate() and absent() need no special cases;
//   - no pid label: a process's start is counted (seckill_worker_starts_total)
//     and the live processes are a gauge (seckill_workers), both per node;
//   - the per-event gauges of the node counter (allotment, taken, returned)
//     stay while the event's row changes and for kEventRetentionMs after its
//     last change (the sale is over), then are left out. The time of each
//     event's last change is kept in the node's file (kEventSlots events by
//     hash of their name; the oldest is reused when all are taken), written
//     by whichever process renders: a scrape is answered by any process of
//     any pool, and all of them agree. A process that cannot write the file
//     renders every event.
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
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/node_counter.h"
#include "fcgi/response.h"
#include "fcgi/router.h"

namespace seckill {

// The dimensions of the counts; the shared file's layout depends on them.
constexpr int kEndpointCount = 11;  // Endpoint::kNotFound … Endpoint::kStatus
constexpr int kOutcomeCount = 12;   // Outcome::kReserved … Outcome::kUnauthorized
constexpr int kBucketCount = 12;    // the last one is +Inf
extern const double kLatencyBuckets[kBucketCount - 1];  // seconds
constexpr int kEventSlots = 128;                            // events whose last change a node's file remembers
constexpr int64_t kEventRetentionMs = 3600 * 1000;          // per-event series outlive the last change by this

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

struct NodeScrape;

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
  // As OpenToRead, but maps the file writable, without claiming a slot: for
  // rendering another node of the host (it records the events' last
  // changes). Falls back to read-only when the file cannot be written.
  Status OpenToScrape(const std::string& path);

  // Counts one answered request. Safe to call before Open (does nothing).
  // An endpoint or outcome past its count (a value that is no endpoint or
  // outcome) is counted only as uncounted, and logged the first time;
  // `seconds` is clamped to [0, 1e6] (a negative or NaN one counts as 0).
  void Count(Endpoint e, Outcome o, double seconds);
  // Adds to the Redis and SQLite counters of this process.
  void AddRedis(uint64_t round_trips, uint64_t errors);
  void AddSqlite(uint64_t busy, uint64_t retries);

  // The node's metrics alone in the Prometheus text format, with the node
  // counter's rows (allotment, taken, returned per event) from `counter`
  // (may be null) and its configured process count (0: not reported):
  // RenderScrape of this one node, now. Empty before an Open.
  std::string Render(const std::string& node, NodeCounter* counter, int processes = 0);

  // Totals over every slot: requests with outcome `o` (0 for a value that is
  // no outcome), all requests, and the requests Count could not file.
  uint64_t Total(Outcome o) const;
  uint64_t TotalRequests() const;
  uint64_t Uncounted() const;
  // Processes of the node alive now (slots whose pid exists), and how many
  // times a process of the node has started since the file was created.
  int LiveProcesses() const;
  uint64_t Starts() const;
  // True once a file is mapped (Open, OpenToRead or OpenToScrape succeeded).
  bool Mapped() const { return shared_ != nullptr; }

  // Records that `event`'s row reads `row` at `now_ms` and returns true while
  // its series are to be shown: the row changed within `retention_ms` (or
  // the event is new to the file, or the file is read-only here).
  bool EventRecent(const std::string& event, const NodeCounter::Row& row, int64_t now_ms, int64_t retention_ms);

  struct Slot;
  struct Shared;

 private:
  friend std::string RenderScrape(const std::vector<NodeScrape>& nodes, int64_t now_ms, int64_t retention_ms);
  Status Map(const std::string& path, bool writable);

  Shared* shared_ = nullptr;
  Slot* mine_ = nullptr;
  bool writable_ = false;  // the mapping may be written (Open, OpenToScrape)
  bool logged_uncounted_ = false;  // Count has logged an out-of-range request
};

// One node of a scrape: its name, configured process count, metrics file and
// node-counter rows (rows_ok false: the counter could not be read; its
// per-event series are left out).
struct NodeScrape {
  std::string node;
  int processes = 0;
  Metrics* metrics = nullptr;  // opened (Open or OpenToScrape); required
  std::vector<std::pair<std::string, NodeCounter::Row>> rows;
  bool rows_ok = false;
};

// The host's answer to a Prometheus scrape: every metric family once, with a
// sample per node (per node and event for the node counter's gauges, those
// of events recent by Metrics::EventRecent). Records the events' changes.
std::string RenderScrape(const std::vector<NodeScrape>& nodes, int64_t now_ms,
                         int64_t retention_ms = kEventRetentionMs);

}  // namespace seckill
