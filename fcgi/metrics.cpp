#include "fcgi/metrics.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

struct Metrics::Shared {
  // Changes with the layout: a file of another layout is reset, never misread.
  static constexpr uint64_t kMagic = 0x5345434b4d455432ULL ^ (static_cast<uint64_t>(sizeof(Slot)) << 24) ^
                                     (kEndpointCount << 16) ^ (kOutcomeCount << 8) ^ kBucketCount;
  std::atomic<uint64_t> magic;
  Slot slots[kSlots];
};

static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared counters need lock-free atomics");

Metrics::~Metrics() {
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
  return Status::Ok();
}

Status Metrics::OpenToRead(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound("metrics " + path + ": " + strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || static_cast<size_t>(st.st_size) != sizeof(Shared)) {
    close(fd);
    return Status::NotFound("metrics " + path + ": not a metrics file of this version");
  }
  void* p = mmap(nullptr, sizeof(Shared), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return Status::Unavailable("metrics " + path + ": mmap failed");
  if (static_cast<Shared*>(p)->magic.load() != Shared::kMagic) {
    munmap(p, sizeof(Shared));
    return Status::NotFound("metrics " + path + ": not a metrics file of this version");
  }
  shared_ = static_cast<Shared*>(p);
  return Status::Ok();
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

std::string Metrics::Render(const std::string& node, NodeCounter* counter) const {
  std::string out;
  if (!shared_) return out;
  const std::string nl = "node=\"" + node + "\"";
  auto line = [&](const std::string& name, const std::string& labels, uint64_t v) {
    out += name + "{" + labels + "} " + std::to_string(v) + "\n";
  };
  auto sum = [&](auto field) {
    uint64_t t = 0;
    for (const Slot& s : shared_->slots) t += field(s);
    return t;
  };

  out += "# HELP seckill_requests_total Requests answered by the node's workers, by endpoint and outcome.\n";
  out += "# TYPE seckill_requests_total counter\n";
  for (int e = 0; e < kEndpointCount; e++) {
    for (int o = 0; o < kOutcomeCount; o++) {
      uint64_t v = sum([&](const Slot& s) { return s.requests[e][o].load(std::memory_order_relaxed); });
      if (v == 0) continue;
      line("seckill_requests_total",
           nl + ",endpoint=\"" + EndpointName(static_cast<Endpoint>(e)) + "\",outcome=\"" + OutcomeName(static_cast<Outcome>(o)) + "\"", v);
    }
  }
  out += "# HELP seckill_request_duration_seconds Time from the request's arrival at the worker to its answer.\n";
  out += "# TYPE seckill_request_duration_seconds histogram\n";
  for (int e = 0; e < kEndpointCount; e++) {
    uint64_t cumulative = 0;
    std::string el = nl + ",endpoint=\"" + EndpointName(static_cast<Endpoint>(e)) + "\"";
    uint64_t total = sum([&](const Slot& s) {
      uint64_t t = 0;
      for (int b = 0; b < kBucketCount; b++) t += s.buckets[e][b].load(std::memory_order_relaxed);
      return t;
    });
    if (total == 0) continue;
    for (int b = 0; b < kBucketCount; b++) {
      cumulative += sum([&](const Slot& s) { return s.buckets[e][b].load(std::memory_order_relaxed); });
      char le[32];
      if (b < kBucketCount - 1) snprintf(le, sizeof le, "%g", kLatencyBuckets[b]);
      else snprintf(le, sizeof le, "+Inf");
      line("seckill_request_duration_seconds_bucket", el + ",le=\"" + le + "\"", cumulative);
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.6f", sum([&](const Slot& s) { return s.latency_sum_us[e].load(std::memory_order_relaxed); }) / 1e6);
    out += "seckill_request_duration_seconds_sum{" + el + "} " + buf + "\n";
    line("seckill_request_duration_seconds_count", el, total);
  }
  struct { const char* name; const char* help; std::atomic<uint64_t> Slot::*field; } counters[] = {
      {"seckill_redis_round_trips_total", "Commands and scripts sent to Redis.", &Slot::redis_round_trips},
      {"seckill_redis_errors_total", "Redis calls that failed (unreachable, broken connection).", &Slot::redis_errors},
      {"seckill_sqlite_busy_total", "Node counter takes that found the file locked past the busy timeout.", &Slot::sqlite_busy},
      {"seckill_sqlite_retries_total", "Waits of the node counter for another process's lock.", &Slot::sqlite_retries},
      {"seckill_requests_uncounted_total", "Requests whose endpoint or outcome the metrics have no place for (a bug).", &Slot::uncounted},
  };
  for (const auto& c : counters) {
    out += std::string("# HELP ") + c.name + " " + c.help + "\n# TYPE " + c.name + " counter\n";
    line(c.name, nl, sum([&](const Slot& s) { return (s.*(c.field)).load(std::memory_order_relaxed); }));
  }
  out += "# HELP seckill_worker_start_time_seconds Start time of each live worker process of the node.\n";
  out += "# TYPE seckill_worker_start_time_seconds gauge\n";
  for (int i = 0; i < kSlots; i++) {
    const Slot& s = shared_->slots[i];
    int32_t pid = s.pid.load();
    if (pid == 0 || kill(pid, 0) != 0) continue;
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f", s.start_ms.load() / 1000.0);
    out += "seckill_worker_start_time_seconds{" + nl + ",pid=\"" + std::to_string(pid) + "\"} " + buf + "\n";
  }
  if (counter) {
    std::vector<std::pair<std::string, NodeCounter::Row>> rows;
    if (counter->All(&rows).ok()) {
      const char* names[3][2] = {
          {"seckill_node_allotment_tickets", "The node's allotment of the event: weighted share plus buffer."},
          {"seckill_node_taken_tickets", "Tickets of the allotment the node has taken: reserved, or leased to one of its processes."},
          {"seckill_node_returned_tickets", "Tickets the node sold that were released and may be sold again."}};
      for (int k = 0; k < 3; k++) {
        out += std::string("# HELP ") + names[k][0] + " " + names[k][1] + "\n# TYPE " + names[k][0] + " gauge\n";
        for (const auto& r : rows) {
          int64_t v = k == 0 ? r.second.allotment : k == 1 ? r.second.taken : r.second.returned;
          out += std::string(names[k][0]) + "{" + nl + ",event=\"" + r.first + "\"} " + std::to_string(v) + "\n";
        }
      }
    }
  }
  return out;
}

}  // namespace seckill
