// keys.h — the Redis key layout of one event. Shared by every program.
//
// Every key of event E carries the hash tag {E}, so one event lives in one
// Redis Cluster slot and every Lua script can touch all of it atomically.
//
//   ev:{E}            hash   total, sold (held: reserved or paid), limit,
//                            window (seconds), price, created_at,
//                            returned:<node> (tickets sold by <node> and later
//                            released: the node may sell that many again).
//                            Orders ever made = sold + sum of returned:*.
//                            paid, expired, cancelled: counts of those
//                            transitions; reconciled_at, lag_ms: the
//                            reconciler's last pass (for the operator page);
//                            verified_run: the run_id of the Redis process
//                            whose data was last checked against MySQL (set at
//                            creation, by the reconciler's verification and by
//                            the rebuild). reserve, pay, cancel and expire
//                            refuse to run while it differs from the run_id of
//                            the server they reach: after a restart that may have
//                            lost writes, nothing sells until the reconciler
//                            has put back what MySQL holds (reconciler/repair.h)
//   ev:{E}:users      hash   user -> space-separated order ids the user holds
//   ev:{E}:exp        zset   order id scored by expires-at (ms): pending payments
//   ev:{E}:log        stream one entry per state change, read by the reconciler:
//                            t=reserved|paid|cancelled|expired, o=order, u=user,
//                            n=node, at=ms of the change, exp=expires-at (reserved)
//   ev:{E}:o:<order>  hash   user, node, status, reserved_at, expires_at,
//                            paid_at | cancelled_at | expired_at
//
// The set "seckill:events" (its own slot) lists the event ids; only the admin
// command and the reconciler read or write it, never inside a script.
#pragma once
#include <string>
#include <string_view>

namespace seckill {

inline const char* kEventsSetKey = "seckill:events";
inline const char* kReconcilerGroup = "reconciler";
inline const char* kVerifiedRunField = "verified_run";
// The detail of the 503 a script's "not verified" answer becomes.
inline const char* kUnverifiedRedis = "redis restarted: sales resume once the reconciler has checked it against MySQL";

struct EventKeys {
  explicit EventKeys(std::string_view event)
      : event(event),
        meta("ev:{" + this->event + "}"),
        users(meta + ":users"),
        expiry(meta + ":exp"),
        log(meta + ":log") {}
  std::string Order(std::string_view order_id) const { return meta + ":o:" + std::string(order_id); }

  std::string event;
  std::string meta;
  std::string users;
  std::string expiry;
  std::string log;
};

}  // namespace seckill
