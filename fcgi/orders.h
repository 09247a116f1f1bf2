// orders.h — what a user does with an order after reserving it: pay, cancel,
// look at it; and the public view of an event's stock. Each call is one Redis
// round trip (a Lua script or an HMGET). Order lifecycle:
// common/order_status.h. A reservation past its window is judged by Redis's
// clock, as every script judges it (lua/look.lua).
//
// Owner check: every call takes the user id and answers NotFound for anyone
// but the order's owner, exactly as for an order that does not exist, so
// order ids cannot be probed. Not thread-safe (uses the process's RedisClient).
#pragma once
#include <cstdint>
#include <string>

#include "common/redis_client.h"
#include "fcgi/soldout_flag.h"

namespace seckill {

struct OrderView {
  std::string order_id, event, user, node;
  std::string status;  // reserved | paid | expired | cancelled (common/order_status.h)
  int64_t reserved_at_ms = 0, expires_at_ms = 0;
};

enum class OrderOutcome {
  kOk,           // done (paid, cancelled, found)
  kNotFound,     // no such order, or not this user's
  kGone,         // expired or cancelled: payment refused
  kConflict,     // cancelling a paid order
  kTooMany,      // cancelling: the user made the event's cancel_limit cancellations already
  kUnavailable,  // Redis unreachable
  kInternal,     // unexpected reply
};

class Orders {
 public:
  // `cancel_limit`: cancellations one user may make per event ([sale]
  // cancel_limit of the cluster config; 0: no cap).
  Orders(RedisClient* redis, const SoldOutFlags* flags, int64_t cancel_limit = 0)
      : redis_(redis), flags_(flags), cancel_limit_(cancel_limit) {}

  // REQUIRES for all: `user` is a valid id. `order_id` may be anything.
  OrderOutcome Pay(const std::string& order_id, const std::string& user, std::string* detail);
  OrderOutcome Cancel(const std::string& order_id, const std::string& user, std::string* detail);
  OrderOutcome Get(const std::string& order_id, const std::string& user, OrderView* view, std::string* detail);

  struct EventView {
    int64_t total = 0, sold = 0;
    int64_t opens_at_ms = 0, closes_at_ms = 0;  // 0: none (open; never closes)
  };
  // kNotFound for an unknown event.
  OrderOutcome GetEvent(const std::string& event, EventView* view, std::string* detail);

 private:
  RedisClient* redis_;
  const SoldOutFlags* flags_;
  int64_t cancel_limit_;
};

}  // namespace seckill
