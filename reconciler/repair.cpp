#include "reconciler/repair.h"

#include <vector>

#include "common/keys.h"

namespace seckill {
namespace {

bool MySqlHoldsMore(RedisClient* redis, OrderStore* store, const std::string& event, Status* st) {
  std::map<std::string, int64_t> counts;
  *st = store->CountByStatus(event, &counts);
  if (!st->ok()) return false;
  Reply sold = redis->Command({"HGET", EventKeys(event).meta, "sold"}, st);
  if (!st->ok()) return false;
  return sold->type == REDIS_REPLY_STRING && counts["reserved"] + counts["paid"] > atoll(sold->str);
}

int64_t ClosedAt(const OrderRow& o) {
  switch (o.status) {
    case OrderStatus::kPaid: return o.paid_ms;
    case OrderStatus::kExpired: return o.expired_ms;
    case OrderStatus::kCancelled: return o.cancelled_ms;
    default: return 0;
  }
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
    std::vector<std::string> k = {keys.meta, keys.users, keys.expiry, keys.log}, a;
    for (const OrderRow& o : page) {
      k.push_back(keys.Order(o.order_id));
      for (const std::string& v : {o.order_id, o.user, o.node, std::string(OrderStatusName(o.status)),
                                   std::to_string(o.reserved_ms), std::to_string(o.expires_ms),
                                   std::to_string(ClosedAt(o))})
        a.push_back(v);
    }
    Reply r = redis->Script("repair_orders", k, a, &st);
    if (!st.ok()) return st;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_INTEGER)
      return Status::Internal("repair_orders.lua: " + std::string(r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply"));
    stats->restored += r->element[0]->integer;
    stats->changed += r->element[1]->integer;
  }
}

}  // namespace seckill
