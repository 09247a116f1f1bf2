// soldout_flag.h — a front's memory that an event is sold out: one empty file
// per event in a directory that nginx tests with `if (-f …)`, so once an event
// is sold out nginx answers 409 itself, with no FastCGI round trip, no SQLite
// and no Redis.
//
// The protocol that keeps the flag from outliving the stock:
//   1. a worker that gets "sold out" from Redis raises the flag, then reads the
//      stock again and lowers the flag if tickets came back meanwhile;
//   2. whoever releases tickets raises the stock in Redis first (Lua), and the
//      flag is lowered after: on the worker's own host at once, and on every
//      host by the watcher (StartWatcher): one process per host at a time
//      (the one holding the lock file .watcher) reads the stock of every
//      flagged event in one pipelined round trip each interval, and lowers
//      the flags of events with stock again, or that no longer exist.
// The directory is per host (var/run/soldout); nothing is shared between hosts.
// Functions are safe to call from any process or thread.
#pragma once
#include <string>

#include "common/redis_client.h"

namespace seckill {

class SoldOutFlags {
 public:
  explicit SoldOutFlags(std::string dir) : dir_(std::move(dir)) {}

  void Raise(const std::string& event) const;
  void Lower(const std::string& event) const;
  const std::string& dir() const { return dir_; }

  // Lowers the flag of every flagged event that has stock again (or no longer
  // exists) according to `redis`, asking for all of them in one pipelined
  // round trip (one per master on a Redis Cluster). Returns the number of
  // flags lowered (0 when Redis is down: the flags stay; on a cluster, those
  // of a shard that is down stay).
  int Sweep(RedisClient* redis) const;

  // Starts a detached thread that, while this process holds the host's
  // watcher lock (dir/.watcher, taken without waiting each interval, so
  // another process takes over when the holder dies), calls Sweep every
  // `interval_ms`, with its own Redis connection to `address`.
  void StartWatcher(const RedisAddress& address, int interval_ms) const;

 private:
  static constexpr const char* kWatcherLock = ".watcher";  // a dotfile: never an event id (ids.h)
  std::string Path(const std::string& event) const { return dir_ + "/" + event; }
  std::string dir_;
};

// Returns true when the event has stock (sold < total) according to `redis`.
// Sets *exists to false for an unknown event. Unavailable on Redis errors.
Status ReadHasStock(RedisClient* redis, const std::string& event, bool* has_stock, bool* exists);

}  // namespace seckill
