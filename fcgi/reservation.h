// reservation.h — the reservation path: node counter first, then Redis.
//
//   1. take one ticket of the node's allotment (NodeCounter, SQLite);
//      used up → "sold out" without asking Redis (the allotment is re-read
//      from Redis at most every kRefreshMs, to learn of released tickets
//      and of the event id created again: a new created_at resets the row,
//      node_counter.h);
//   2. reserve.lua in Redis (EVALSHA): stock, per-user limit, the order, the
//      expiry index and the stream entry, atomically;
//   3. anything but success gives the local ticket back; "sold out" from
//      Redis raises the front's sold-out flag (soldout_flag.h). "Not open"
//      (before the opening time, by Redis's clock) raises nothing: the
//      not-open flags are the opening watcher's alone (opening_flag.h).
// Only when both steps succeed does the user get a reservation.
//
// One Reservations per process; not thread-safe (it owns per-process caches
// and uses the process's RedisClient and NodeCounter).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>

#include "common/cluster_config.h"
#include "common/redis_client.h"
#include "common/node_counter.h"
#include "fcgi/soldout_flag.h"

namespace seckill {

struct ReserveResult {
  enum class Outcome {
    kReserved,     // order_id and expires_at_ms are set
    kSoldOut,      // no stock left (globally, or in this node's allotment)
    kLimit,        // the user already holds the per-user limit; order_id is one of theirs
    kNoEvent,      // no such event
    kUnavailable,  // Redis unreachable, or the node counter locked: try again
    kInternal,     // an unexpected reply (logged)
    kNotOpen,      // before the event's opening time (Redis's clock); at_ms is it
    kClosed,       // at or after the event's closing time; at_ms is it
  };
  Outcome outcome = Outcome::kInternal;
  std::string order_id;
  int64_t expires_at_ms = 0;
  int64_t at_ms = 0;   // kNotOpen: opens_at; kClosed: closes_at
  std::string detail;  // why, for kUnavailable / kInternal
};

class Reservations {
 public:
  static constexpr int64_t kRefreshMs = 200;

  Reservations(const ClusterConfig* cluster, std::string node, RedisClient* redis,
               NodeCounter* counter, const SoldOutFlags* flags)
      : cluster_(cluster), node_(std::move(node)), redis_(redis), counter_(counter), flags_(flags) {}

  // REQUIRES: IsValidId(event) && IsValidId(user).
  ReserveResult Reserve(const std::string& event, const std::string& user);

  const std::string& node() const { return node_; }

 private:
  struct EventInfo {
    int64_t generation = 0;       // the event's created_at the counter row counts for
    int64_t returned_seen = 0;    // largest returned:<node> written to the counter
    int64_t next_refresh_ms = 0;  // when an exhausted allotment may ask Redis again
  };
  // Finds the event in the cache, or reads it from Redis and creates the
  // node's counter row. NotFound for an unknown event.
  Status Lookup(const std::string& event, EventInfo** info);
  // Re-reads the stock, this node's returned count and the event's
  // created_at; raises the sold-out flag when the stock is gone; resets the
  // counter row when the event was created again. Returns true when the
  // counter was raised or reset.
  bool Refresh(const std::string& event, EventInfo* info);
  void NoteReturned(const std::string& event, EventInfo* info, int64_t returned);
  void RaiseSoldOut(const std::string& event);

  const ClusterConfig* cluster_;
  std::string node_;
  RedisClient* redis_;
  NodeCounter* counter_;
  const SoldOutFlags* flags_;
  std::unordered_map<std::string, EventInfo> events_;
};

}  // namespace seckill
