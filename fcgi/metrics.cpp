#include "fcgi/metrics.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/clock.h"

namespace seckill {

const double kLatencyBuckets[kBucketCount - 1] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05,   0.1,   0.25,   0.5,   1.0};

struct Metrics::Slot {
  std::atomic<int32_t> pid;
  std::atomic<int64_t> start_ms;
  std::atomic<uint64_t> requests[kEndpointCount][kOutcomeCount];
  std::atomic<uint64_t> buckets[kEndpointCount][kBucketCount];
  std::atomic<uint64_t> latency_sum_us[kEndpointCount];
  std::atomic<uint64_t> redis_round_trips, redis_errors, sqlite_busy, sqlite_retries;
  std::atomic<uint64_t> uncounted;  // requests whose endpoint or outcome was out of range
};

// The last change seen of one event's node-counter row (Metrics::EventRecent).
struct EventSeen {
  std::atomic<uint64_t> hash;                       // FNV-1a of the event's name; 0: free
  std::atomic<int64_t> allotment, taken, returned;  // the row as last seen
  std::atomic<int64_t> changed_ms;                  // when it was first seen or last differed
};

struct Metrics::Shared {
  // Changes with the layout: a file of another layout is reset, never misread.
  static constexpr uint64_t kMagic = 0x5345434b4d455433ULL ^ (static_cast<uint64_t>(sizeof(Slot)) << 24) ^
                                     (static_cast<uint64_t>(kEventSlots) << 44) ^
                                     (kEndpointCount << 16) ^ (kOutcomeCount << 8) ^ kBucketCount;
  std::atomic<uint64_t> magic;
  std::atomic<uint64_t> starts;  // processes of the node started since the file was made
  Slot slots[kSlots];
  EventSeen events[kEventSlots];
};

static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared counters need lock-free atomics");

namespace {

// True while process `pid` exists (one of another user still counts).
bool Alive(int32_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

uint64_t HashName(const std::string& name) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  return h ? h : 1;  // 0 marks a free slot
}

}  // namespace

Metrics::~Metrics() {
  if (mine_) mine_->pid.store(0);  // a clean exit frees the slot; its counts stay for the next process
  if (shared_) munmap(shared_, sizeof(Shared));
}

Status Metrics::Open(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Unavailable("metrics " + path + ": " + strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || (static_cast<size_t>(st.st_size) != sizeof(Shared) && ftruncate(fd, sizeof(Shared)) != 0)) {
    close(fd);
    return Status::Unavailable("metrics " + path + ": " + strerror(errno));
  }
  void* p = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return Status::Unavailable("metrics " + path + ": mmap failed");
  shared_ = static_cast<Shared*>(p);
  writable_ = true;
  // A new file is all zeros; a file of another layout is reset (counters
  // start again, as after a restart, which Prometheus expects).
  uint64_t magic = shared_->magic.load();
  if (magic != Shared::kMagic) {
    memset(static_cast<void*>(shared_), 0, sizeof(Shared));
    shared_->magic.store(Shared::kMagic);
  }
  const int32_t me = getpid();
  for (int pass = 0; pass < 2 && !mine_; pass++) {
    for (Slot& s : shared_->slots) {
      int32_t owner = s.pid.load();
      bool free = owner == 0 || (pass == 1 && kill(owner, 0) != 0 && errno == ESRCH);
      if (free && s.pid.compare_exchange_strong(owner, me)) {
        mine_ = &s;
        break;
      }
    }
  }
  if (!mine_) return Status::Unavailable("metrics " + path + ": all slots taken");
  mine_->start_ms.store(WallMillis());
  shared_->starts.fetch_add(1);
  return Status::Ok();
}

Status Metrics::Map(const std::string& path, bool writable) {
  int fd = open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0 && writable && errno == EACCES) return Map(path, false);
  if (fd < 0) return Status::NotFound("metrics " + path + ": " + strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) != sizeof(Shared)) {
    close(fd);
    return Status::NotFound("metrics " + path + ": not a metrics file of this version");
  }
  void* p = mmap(nullptr, sizeof(Shared), writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return Status::Unavailable("metrics " + path + ": mmap failed");
  if (static_cast<Shared*>(p)->magic.load() != Shared::kMagic) {
    munmap(p, sizeof(Shared));
    return Status::NotFound("metrics " + path + ": not a metrics file of this version");
  }
  shared_ = static_cast<Shared*>(p);
  writable_ = writable;
  return Status::Ok();
}

Status Metrics::OpenToRead(const std::string& path) { return Map(path, false); }

Status Metrics::OpenToScrape(const std::string& path) { return Map(path, true); }

int Metrics::LiveProcesses() const {
  int n = 0;
  if (!shared_) return 0;
  for (const Slot& s : shared_->slots) n += Alive(s.pid.load());
  return n;
}

uint64_t Metrics::Starts() const { return shared_ ? shared_->starts.load() : 0; }

bool Metrics::EventRecent(const std::string& event, const NodeCounter::Row& row, int64_t now_ms, int64_t retention_ms) {
  if (!shared_ || !writable_) return true;
  const uint64_t h = HashName(event);
  EventSeen* found = nullptr;
  EventSeen* oldest = nullptr;
  for (EventSeen& e : shared_->events) {
    uint64_t eh = e.hash.load();
    if (eh == h) {
      found = &e;
      break;
    }
    if (eh == 0 && !oldest) oldest = &e;  // a free slot is taken before any reuse
    if (!oldest || (oldest->hash.load() != 0 && e.changed_ms.load() < oldest->changed_ms.load())) oldest = &e;
  }
  if (!found) {
    // Two renderers may race for a slot; the loser's event is new again at
    // its next scrape, which only shows its series a little longer.
    found = oldest;
    found->hash.store(h);
    found->allotment.store(row.allotment);
    found->taken.store(row.taken);
    found->returned.store(row.returned);
    found->changed_ms.store(now_ms);
    return true;
  }
  if (found->allotment.load() != row.allotment || found->taken.load() != row.taken ||
      found->returned.load() != row.returned) {
    found->allotment.store(row.allotment);
    found->taken.store(row.taken);
    found->returned.store(row.returned);
    found->changed_ms.store(now_ms);
  }
  return now_ms - found->changed_ms.load() <= retention_ms;
}

void Metrics::Count(Endpoint e, Outcome o, double seconds) {
  if (!mine_) return;
  const int ei = static_cast<int>(e), oi = static_cast<int>(o);
  if (ei < 0 || ei >= kEndpointCount || oi < 0 || oi >= kOutcomeCount) {
    mine_->uncounted.fetch_add(1, std::memory_order_relaxed);
    if (!logged_uncounted_) {
      fprintf(stderr, "seckill-worker %d: metrics: endpoint %d / outcome %d out of range (counts %d / %d); "
              "counted as uncounted (logged once)\n", getpid(), ei, oi, kEndpointCount, kOutcomeCount);
      logged_uncounted_ = true;
    }
    return;
  }
  if (!(seconds >= 0)) seconds = 0;  // negative or NaN
  if (seconds > 1e6) seconds = 1e6;  // keeps the microseconds' conversion defined
  mine_->requests[ei][oi].fetch_add(1, std::memory_order_relaxed);
  int b = 0;
  while (b < kBucketCount - 1 && seconds > kLatencyBuckets[b]) b++;
  mine_->buckets[ei][b].fetch_add(1, std::memory_order_relaxed);
  mine_->latency_sum_us[ei].fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Metrics::AddRedis(uint64_t round_trips, uint64_t errors) {
  if (!mine_) return;
  mine_->redis_round_trips.fetch_add(round_trips, std::memory_order_relaxed);
  mine_->redis_errors.fetch_add(errors, std::memory_order_relaxed);
}

void Metrics::AddSqlite(uint64_t busy, uint64_t retries) {
  if (!mine_) return;
  mine_->sqlite_busy.fetch_add(busy, std::memory_order_relaxed);
  mine_->sqlite_retries.fetch_add(retries, std::memory_order_relaxed);
}

uint64_t Metrics::Total(Outcome o) const {
  uint64_t t = 0;
  const int oi = static_cast<int>(o);
  if (!shared_ || oi < 0 || oi >= kOutcomeCount) return 0;
  for (const Slot& s : shared_->slots)
    for (int e = 0; e < kEndpointCount; e++) t += s.requests[e][oi].load(std::memory_order_relaxed);
  return t;
}

uint64_t Metrics::Uncounted() const {
  uint64_t t = 0;
  if (!shared_) return 0;
  for (const Slot& s : shared_->slots) t += s.uncounted.load(std::memory_order_relaxed);
  return t;
}

uint64_t Metrics::TotalRequests() const {
  uint64_t t = 0;
  for (int o = 0; o < kOutcomeCount; o++) t += Total(static_cast<Outcome>(o));
  return t;
}

std::string Metrics::Render(const std::string& node, NodeCounter* counter, int processes) {
  if (!shared_) return "";
  std::vector<NodeScrape> nodes(1);
  nodes[0].node = node;
  nodes[0].processes = processes;
  nodes[0].metrics = this;
  nodes[0].rows_ok = counter && counter->All(&nodes[0].rows).ok();
  return RenderScrape(nodes, WallMillis());
}

std::string RenderScrape(const std::vector<NodeScrape>& nodes, int64_t now_ms, int64_t retention_ms) {
  using Slot = Metrics::Slot;
  std::string out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto line = [&](const std::string& name, const std::string& labels, uint64_t v) {
    out += name + "{" + labels + "} " + std::to_string(v) + "\n";
  };
  auto node_label = [](const NodeScrape& n) { return "node=\"" + n.node + "\""; };
  // The sum over the node's slots of field(slot).
  auto sum = [](const NodeScrape& n, auto field) {
    uint64_t t = 0;
    for (const Slot& s : n.metrics->shared_->slots) t += field(s);
    return t;
  };

  family("seckill_requests_total", "counter", "Requests answered by the node's workers, by endpoint and outcome.");
  for (const NodeScrape& n : nodes) {
    for (int e = 0; e < kEndpointCount; e++) {
      for (int o = 0; o < kOutcomeCount; o++) {
        uint64_t v = sum(n, [&](const Slot& s) { return s.requests[e][o].load(std::memory_order_relaxed); });
        line("seckill_requests_total", node_label(n) + ",endpoint=\"" + EndpointName(static_cast<Endpoint>(e)) +
                                           "\",outcome=\"" + OutcomeName(static_cast<Outcome>(o)) + "\"", v);
      }
    }
  }
  family("seckill_request_duration_seconds", "histogram", "Time from the request's arrival at the worker to its answer.");
  for (const NodeScrape& n : nodes) {
    for (int e = 0; e < kEndpointCount; e++) {
      uint64_t cumulative = 0;
      std::string el = node_label(n) + ",endpoint=\"" + EndpointName(static_cast<Endpoint>(e)) + "\"";
      for (int b = 0; b < kBucketCount; b++) {
        cumulative += sum(n, [&](const Slot& s) { return s.buckets[e][b].load(std::memory_order_relaxed); });
        char le[32];
        if (b < kBucketCount - 1) snprintf(le, sizeof le, "%g", kLatencyBuckets[b]);
        else snprintf(le, sizeof le, "+Inf");
        line("seckill_request_duration_seconds_bucket", el + ",le=\"" + le + "\"", cumulative);
      }
      char buf[64];
      snprintf(buf, sizeof buf, "%.6f",
               sum(n, [&](const Slot& s) { return s.latency_sum_us[e].load(std::memory_order_relaxed); }) / 1e6);
      out += "seckill_request_duration_seconds_sum{" + el + "} " + buf + "\n";
      line("seckill_request_duration_seconds_count", el, cumulative);
    }
  }
  struct { const char* name; const char* help; std::atomic<uint64_t> Slot::*field; } counters[] = {
      {"seckill_redis_round_trips_total", "Commands and scripts sent to Redis.", &Slot::redis_round_trips},
      {"seckill_redis_errors_total", "Redis calls that failed (unreachable, broken connection).", &Slot::redis_errors},
      {"seckill_sqlite_busy_total", "Node counter takes that found the file locked past the busy timeout.", &Slot::sqlite_busy},
      {"seckill_sqlite_retries_total", "Waits of the node counter for another process's lock.", &Slot::sqlite_retries},
      {"seckill_requests_uncounted_total", "Requests whose endpoint or outcome the metrics have no place for (a bug).", &Slot::uncounted},
  };
  for (const auto& c : counters) {
    family(c.name, "counter", c.help);
    for (const NodeScrape& n : nodes)
      line(c.name, node_label(n), sum(n, [&](const Slot& s) { return (s.*(c.field)).load(std::memory_order_relaxed); }));
  }
  family("seckill_worker_starts_total", "counter",
         "Worker processes of the node started (a restart adds one; no per-process series).");
  for (const NodeScrape& n : nodes) line("seckill_worker_starts_total", node_label(n), n.metrics->Starts());
  family("seckill_workers", "gauge", "Worker processes of the node alive now.");
  for (const NodeScrape& n : nodes) line("seckill_workers", node_label(n), n.metrics->LiveProcesses());
  family("seckill_node_processes", "gauge", "Worker processes the cluster config gives the node.");
  for (const NodeScrape& n : nodes)
    if (n.processes > 0) line("seckill_node_processes", node_label(n), n.processes);
  family("seckill_worker_last_start_time_seconds", "gauge", "When a worker process of the node last started (0: never).");
  for (const NodeScrape& n : nodes) {
    int64_t last = 0;
    for (const Slot& s : n.metrics->shared_->slots) last = std::max<int64_t>(last, s.start_ms.load());
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f", last / 1000.0);
    out += "seckill_worker_last_start_time_seconds{" + node_label(n) + "} " + buf + "\n";
  }

  // The node counter's rows, of the events that changed within the retention.
  std::vector<std::vector<const std::pair<std::string, NodeCounter::Row>*>> shown(nodes.size());
  for (size_t i = 0; i < nodes.size(); i++)
    if (nodes[i].rows_ok)
      for (const auto& r : nodes[i].rows)
        if (nodes[i].metrics->EventRecent(r.first, r.second, now_ms, retention_ms)) shown[i].push_back(&r);
  const char* names[3][2] = {
      {"seckill_node_allotment_tickets", "The node's allotment of the event: weighted share plus buffer."},
      {"seckill_node_taken_tickets", "Tickets of the allotment the node has taken: reserved, or leased to one of its processes."},
      {"seckill_node_returned_tickets", "Tickets the node sold that were released and may be sold again."}};
  for (int k = 0; k < 3; k++) {
    family(names[k][0], "gauge", names[k][1]);
    for (size_t i = 0; i < nodes.size(); i++) {
      for (const auto* r : shown[i]) {
        int64_t v = k == 0 ? r->second.allotment : k == 1 ? r->second.taken : r->second.returned;
        out += std::string(names[k][0]) + "{" + node_label(nodes[i]) + ",event=\"" + r->first + "\"} " + std::to_string(v) + "\n";
      }
    }
  }
  return out;
}

}  // namespace seckill
