// order_change.h — one entry of an event's Redis stream (ev:{E}:log), as the
// reconciler reads it, and the merged row it becomes in MySQL's orders table.
// Pure: parsing and merging touch no server, so they are unit-tested alone.
//
// Stream entries of one event are in the order the changes happened: an
// order's "reserved" entry always comes before its paid/cancelled/expired
// entry, and an order has at most one of those three (they are final).
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/order_rows.h"
#include "common/order_status.h"
#include "common/status.h"

namespace seckill {

struct OrderChange {
  std::string stream_id;  // "ms-seq"
  OrderStatus type = OrderStatus::kReserved;
  std::string order_id, user, node;
  int64_t at_ms = 0;       // when the change happened (Redis TIME)
  int64_t expires_ms = 0;  // reserved entries only
};

// Parses one XREADGROUP entry ([id, [field, value, …]]). Returns Invalid for
// an entry without fields (trimmed away) or with unknown content.
Status ParseStreamEntry(const redisReply* entry, OrderChange* out);

// Folds the changes of one event, in stream order, into one row per order,
// in first-seen order. A change to an order whose "reserved" entry is not in
// `changes` gives a row whose reserved/expires times are the change's time:
// the upsert keeps the stored times of an existing row (order_store.h).
std::vector<OrderRow> MergeChanges(const std::string& event, const std::vector<OrderChange>& changes);

}  // namespace seckill
