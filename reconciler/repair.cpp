#include "reconciler/repair.h"

#include <vector>

#include "common/keys.h"

namespace seckill {

Status RepairVanishedOrders(RedisClient* redis, OrderStore* store, const std::string& event, int64_t* restored) {
  EventKeys keys(event);
  std::map<std::string, int64_t> counts;
  Status st = store->CountByStatus(event, &counts);
  if (!st.ok()) return st;
  int64_t mysql_held = counts["reserved"] + counts["paid"];
  Reply sold = redis->Command({"HGET", keys.meta, "sold"}, &st);
  if (!st.ok()) return st;
  if (sold->type != REDIS_REPLY_STRING || mysql_held <= atoll(sold->str)) return Status::Ok();

  std::string after;
  std::vector<OrderRow> page;
  for (;;) {
    st = store->ReadOrders(event, after, 500, &page);
    if (!st.ok() || page.empty()) return st;
    after = page.back().order_id;
    std::vector<std::string> k = {keys.meta, keys.users, keys.expiry}, a;
    for (const OrderRow& o : page) {
      if (o.status != OrderStatus::kReserved && o.status != OrderStatus::kPaid) continue;
      k.push_back(keys.Order(o.order_id));
      for (const std::string& v : {o.order_id, o.user, o.node, std::string(OrderStatusName(o.status)),
                                   std::to_string(o.reserved_ms), std::to_string(o.expires_ms)})
        a.push_back(v);
    }
    if (k.size() == 3) continue;
    Reply r = redis->Script("restore_orders", k, a, &st);
    if (!st.ok()) return st;
    if (r->type != REDIS_REPLY_INTEGER) return Status::Internal("restore_orders.lua: unexpected reply");
    *restored += r->integer;
  }
}

}  // namespace seckill
