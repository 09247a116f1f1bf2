// keys.h — the Redis key layout of one event, and every field name in it.
// Shared by every program, and read by scripts/protocol-gen, which gives each
// Lua script the same names as locals (F_<name> for fields, E_<name> for the
// stream entry's fields): no C++ file and no script spells a field name as a
// literal of its own. Immutable data; safe to share.
//
// Every key of event E carries the hash tag {E}, so one event lives in one
// Redis Cluster slot and every Lua script can touch all of it atomically.
//
//   ev:{E}            hash   the event (SECKILL_EVENT_FIELDS below)
//   ev:{E}:users      hash   user -> space-separated order ids the user holds
//   ev:{E}:exp        zset   order id scored by expires-at (ms): pending payments
//   ev:{E}:log        stream one entry per state change, read by the
//                            reconciler (SECKILL_ENTRY_FIELDS below)
//   ev:{E}:cancels    hash   user -> cancellations the user made (the per-user
//                            cap, [sale] cancel_limit; one field per user who
//                            cancelled, kept as long as the event)
//   ev:{E}:o:<order>  hash   the order (SECKILL_ORDER_FIELDS below)
//
// The set "seckill:events" (its own slot) lists the event ids; only the admin
// command and the reconciler read or write it, never inside a script.
// The sorted set "seckill:opening" (its own slot) scores the id of each event
// created with a later opening time by its opens_at (ms): written by the admin
// command and the rebuild, read by every front's opening watcher
// (fcgi/opening_flag.h), never inside a script.
//
// verified_run: the run_id of the Redis process whose data was last checked
// against MySQL (set at creation, by the reconciler's verification and by the
// rebuild). reserve, pay, cancel and expire refuse to run while it differs
// from the run_id of the server they reach (their reply not_verified,
// lua/protocol.json): after a restart that may have lost writes, nothing sells
// until the reconciler has put back what MySQL holds (reconciler/repair.h).
#pragma once
#include <string>
#include <string_view>

namespace seckill {

// X(constant, "name", what it holds). The fields of ev:{E}.
#define SECKILL_EVENT_FIELDS(X)                                                                  \
  X(kTotal, "total", "tickets on sale")                                                          \
  X(kSold, "sold", "tickets held: orders reserved or paid")                                      \
  X(kLimit, "limit", "tickets one user may hold")                                                \
  X(kWindow, "window", "payment window, seconds")                                                \
  X(kPrice, "price", "price, cents")                                                             \
  X(kCreatedAt, "created_at", "ms; also the generation of the node counter rows (node_counter.h)")   \
  X(kPaid, "paid", "count of reserved -> paid")                                                  \
  X(kExpired, "expired", "count of reserved -> expired")                                         \
  X(kCancelled, "cancelled", "count of reserved -> cancelled")                                   \
  X(kReconciledAt, "reconciled_at", "the reconciler's last pass, ms (the operator page)")        \
  X(kLagMs, "lag_ms", "the oldest entry it left unacknowledged then, ms")                        \
  X(kVerifiedRun, "verified_run", "the run_id last checked against MySQL (above)")               \
  X(kOpensAt, "opens_at", "ms: reservations are refused before (by Redis's clock); absent: open")  \
  X(kClosesAt, "closes_at", "ms: reservations are refused from then on; absent or 0: never")       \
  X(kReturnedPrefix, "returned:", "+<node>: tickets <node> sold that were later released; the " \
                                  "node may sell that many again. Orders ever made = sold + "   \
                                  "the sum of returned:*")

// The fields of ev:{E}:o:<order>.
#define SECKILL_ORDER_FIELDS(X)                                                        \
  X(kUser, "user", "its owner")                                                        \
  X(kNode, "node", "the node that sold it")                                            \
  X(kStatus, "status", "common/order_status.h")                                        \
  X(kReservedAt, "reserved_at", "ms")                                                  \
  X(kExpiresAt, "expires_at", "ms: the end of its payment window")                     \
  X(kPaidAt, "paid_at", "ms, once paid")                                               \
  X(kCancelledAt, "cancelled_at", "ms, once cancelled")                                \
  X(kExpiredAt, "expired_at", "ms, once expired")

// The fields of an entry of ev:{E}:log.
#define SECKILL_ENTRY_FIELDS(X)                                          \
  X(kEntryType, "t", "the status the order moved to (order_status.h)")         \
  X(kEntryOrder, "o", "order id")                                             \
  X(kEntryUser, "u", "user")                                             \
  X(kEntryNode, "n", "node")                                             \
  X(kEntryAt, "at", "ms of the change (Redis TIME)")                          \
  X(kEntryExp, "exp", "expires-at, ms (reserved entries only)")

namespace field {
#define SECKILL_FIELD_CONSTANT(constant, name, doc) inline constexpr const char* constant = name;
SECKILL_EVENT_FIELDS(SECKILL_FIELD_CONSTANT)
SECKILL_ORDER_FIELDS(SECKILL_FIELD_CONSTANT)
SECKILL_ENTRY_FIELDS(SECKILL_FIELD_CONSTANT)
#undef SECKILL_FIELD_CONSTANT
// returned:<node>
inline std::string Returned(std::string_view node) { return std::string(kReturnedPrefix) + std::string(node); }
}  // namespace field

inline const char* kEventsSetKey = "seckill:events";
inline const char* kOpeningSetKey = "seckill:opening";
inline const char* kReconcilerGroup = "reconciler";
// The detail of the 503 a script's "not verified" answer becomes.
inline const char* kUnverifiedRedis = "redis restarted: sales resume once the reconciler has checked it against MySQL";
// The detail of the 503 for a write Redis made but no replica confirmed
// (cluster mode, WAIT: common/redis_client.h ConfirmWrites).
inline const char* kNotConfirmed = "not confirmed";

struct EventKeys {
  explicit EventKeys(std::string_view event)
      : event(event),
        meta("ev:{" + this->event + "}"),
        users(meta + ":users"),
        expiry(meta + ":exp"),
        log(meta + ":log"),
        cancels(meta + ":cancels") {}
  std::string Order(std::string_view order_id) const { return meta + ":o:" + std::string(order_id); }

  std::string event;
  std::string meta;
  std::string users;
  std::string expiry;
  std::string log;
  std::string cancels;
};

}  // namespace seckill
