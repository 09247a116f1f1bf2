#include "common/order_status.h"

namespace seckill {

const char* OrderStatusName(OrderStatus s) {
  switch (s) {
#define SECKILL_STATE_NAME(constant, name) \
  case OrderStatus::constant: return name;
    SECKILL_ORDER_STATES(SECKILL_STATE_NAME)
#undef SECKILL_STATE_NAME
  }
  return "reserved";  // unreachable: every enumerator is listed above
}

bool ParseOrderStatus(std::string_view name, OrderStatus* out) {
#define SECKILL_STATE_PARSE(constant, text) \
  if (name == text) {                       \
    *out = OrderStatus::constant;           \
    return true;                            \
  }
  SECKILL_ORDER_STATES(SECKILL_STATE_PARSE)
#undef SECKILL_STATE_PARSE
  return false;
}

bool IsFinal(OrderStatus s) { return s != OrderStatus::kReserved; }

namespace {
constexpr OrderStatus R = OrderStatus::kReserved, P = OrderStatus::kPaid, E = OrderStatus::kExpired,
                      C = OrderStatus::kCancelled, T = OrderStatus::kRetired;
constexpr bool kNone = true, kFrom = false;
}  // namespace

// The order lifecycle (order_status.h). Every row is run by
// tests/unit/lua_scripts_test.cpp against a real redis-server.
const Transition kTransitions[] = {
    // from_none, from, to, script, appends, when
    {kNone, R, R, "reserve", true, "worker: a buyer reserves (stock, limit and allotment allow)"},
    {kFrom, R, P, "pay", true, "worker: the owner pays inside the payment window"},
    {kFrom, R, E, "pay", true, "worker: the owner pays after the window: released instead"},
    {kFrom, R, C, "cancel", true, "worker: the owner cancels inside the window: released"},
    {kFrom, R, E, "cancel", true, "worker: the owner cancels after the window: released as expired"},
    {kFrom, R, E, "expire", true, "reconciler: the window passed (by Redis's clock): released"},
    {kNone, R, R, "repair_orders", true, "reconciler: MySQL holds it reserved, a Redis crash lost it"},
    {kNone, R, P, "repair_orders", true, "reconciler: MySQL holds it paid, a Redis crash lost it"},
    {kFrom, R, P, "repair_orders", true, "reconciler: MySQL has the payment a Redis crash lost"},
    {kFrom, R, C, "repair_orders", true, "reconciler: MySQL has the cancellation a Redis crash lost"},
    {kFrom, R, E, "repair_orders", true, "reconciler: MySQL has the expiry a Redis crash lost"},
    {kNone, R, R, "rebuild_orders", false, "--rebuild-redis: copied from MySQL into an empty event"},
    {kNone, R, P, "rebuild_orders", false, "--rebuild-redis: copied from MySQL"},
    {kNone, R, E, "rebuild_orders", false, "--rebuild-redis: copied from MySQL"},
    {kNone, R, C, "rebuild_orders", false, "--rebuild-redis: copied from MySQL"},
    {kFrom, P, T, "retire", false, "reconciler: MySQL has it; the hash expires after --final-ttl"},
    {kFrom, E, T, "retire", false, "reconciler: MySQL has it; the hash expires after --released-ttl"},
    {kFrom, C, T, "retire", false, "reconciler: as above"},
};
const size_t kTransitionCount = sizeof(kTransitions) / sizeof(kTransitions[0]);

}  // namespace seckill
