// order_status.h — the order lifecycle as code: the states an order can be
// in, and every transition between them with the script that performs it.
// docs/architecture.md draws it and cites this table; tests/unit/
// lua_scripts_test.cpp runs every row against a real redis-server. The Lua
// scripts get the state names from here (S_<name>, scripts/protocol-gen);
// MySQL's orders.status column holds the same names (sql/schema.sql).
// Immutable data; safe to share.
//
//                 reserve                    pay (inside the window)
//   (no order) ──────────▶ RESERVED ──────────────────────────────▶ PAID ─────┐
//                            │   │ cancel (owner)                             │
//                            │   └───────────▶ CANCELLED ─────────────────────┤ retire (reconciler,
//                            │ expire, or a late pay / cancel                 │ once MySQL has it)
//                            └───────────────▶ EXPIRED ───────────────────────┤
//                                                                             ▼
//                                                                  RETIRED: the Redis hash has
//                                                                  expired; MySQL keeps the row
//
// Invariants (checked by the tests and by scripts/report --audit-only):
//   1. Only the transitions below exist, each made by its one script, so
//      atomically in Redis; C++ never writes an order's status itself.
//   2. paid, cancelled and expired are final: an order reaches one of them at
//      most once. Retired is not a change of the order: MySQL keeps its final
//      state, Redis forgets it (the API then answers as for an unknown order).
//   3. Every transition whose `appends` is true adds one entry to ev:{E}:log,
//      which the reconciler moves into MySQL; the others come from MySQL
//      (repair, rebuild) or leave it unchanged (retire).
//   4. Expiry is judged by Redis's clock (TIME) everywhere, never a host's.
#pragma once
#include <cstddef>
#include <string_view>

namespace seckill {

// X(constant, "name"): the states, in their MySQL spelling.
#define SECKILL_ORDER_STATES(X) \
  X(kReserved, "reserved")      \
  X(kPaid, "paid")              \
  X(kExpired, "expired")        \
  X(kCancelled, "cancelled")    \
  X(kRetired, "retired")

enum class OrderStatus {
#define SECKILL_STATE_ENUM(constant, name) constant,
  SECKILL_ORDER_STATES(SECKILL_STATE_ENUM)
#undef SECKILL_STATE_ENUM
};

// "reserved", "paid", …
const char* OrderStatusName(OrderStatus s);
// Parses a name of OrderStatusName. Returns false for anything else.
bool ParseOrderStatus(std::string_view name, OrderStatus* out);
// paid, expired, cancelled (and retired, which only follows them).
bool IsFinal(OrderStatus s);

struct Transition {
  bool from_none;      // the order does not exist in Redis before
  OrderStatus from;    // when !from_none
  OrderStatus to;
  const char* script;  // lua/<script>.lua performs it (lua/protocol.json)
  bool appends;        // adds an entry to ev:{E}:log (invariant 3)
  const char* when;    // who calls it, and when
};

extern const Transition kTransitions[];
extern const size_t kTransitionCount;

}  // namespace seckill
