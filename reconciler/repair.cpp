#include "reconciler/repair.h"

#include <vector>

#include "common/keys.h"
#include "lua_protocol.h"

namespace seckill {
namespace {

bool MySqlHoldsMore(RedisClient* redis, OrderStore* store, const std::string& event, Status* st) {
  std::map<std::string, int64_t> counts;
  *st = store->CountByStatus(event, &counts);
  if (!st->ok()) return false;
  Reply sold = redis->Command({"HGET", EventKeys(event).meta, field::kSold}, st);
  if (!st->ok()) return false;
  return sold->type == REDIS_REPLY_STRING && counts[OrderStatusName(OrderStatus::kReserved)] + counts[OrderStatusName(OrderStatus::kPaid)] > atoll(sold->str);
}

}  // namespace

Status RepairOrders(RedisClient* redis, OrderStore* store, const std::string& event, bool full, RepairStats* stats) {
  Status st;
  if (!full && !MySqlHoldsMore(redis, store, event, &st)) return st;
  EventKeys keys(event);
  std::string after;
  std::vector<OrderRow> page;
  for (;;) {
    st = store->ReadOrders(event, after, 500, &page);
    if (!st.ok() || page.empty()) return st;
    after = page.back().order_id;
    lua::RepairOrdersArgs args;
    for (const OrderRow& o : page)
      args.orders.push_back({.order_id = o.order_id, .user = o.user, .node = o.node,
                             .status = OrderStatusName(o.status), .reserved_at_ms = o.reserved_ms,
                             .expires_at_ms = o.expires_ms, .closed_at_ms = o.closed_ms()});
    lua::RepairOrdersReply reply;
    st = lua::RepairOrders(redis, keys, args, &reply);
    if (!st.ok()) return st;
    stats->restored += reply.restored;
    stats->changed += reply.changed;
  }
}

}  // namespace seckill
