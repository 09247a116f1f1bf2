// order_rows.h — an event and an order as MySQL's events and orders tables
// hold them (sql/schema.sql): what the reconciler writes, what the repair and
// the rebuild read back and send to the scripts. Plain values; safe to copy.
#pragma once
#include <cstdint>
#include <string>

#include "common/order_status.h"

namespace seckill {

struct EventRow {
  std::string event;
  int64_t total = 0, limit = 1, window_s = 0, price_cents = 0, created_ms = 0;
  int64_t opens_ms = 0, closes_ms = 0;  // reservations open, close (0: NULL; open at creation, never close)
};

// An orders row. A *_ms of 0 is NULL.
struct OrderRow {
  std::string order_id, event, user, node;
  OrderStatus status = OrderStatus::kReserved;  // never kRetired: MySQL keeps the final state
  int64_t reserved_ms = 0, expires_ms = 0, paid_ms = 0, expired_ms = 0, cancelled_ms = 0;

  // When it reached its final state (paid, expired or cancelled); 0 while reserved.
  int64_t closed_ms() const {
    switch (status) {
      case OrderStatus::kPaid: return paid_ms;
      case OrderStatus::kExpired: return expired_ms;
      case OrderStatus::kCancelled: return cancelled_ms;
      default: return 0;
    }
  }
};

}  // namespace seckill
