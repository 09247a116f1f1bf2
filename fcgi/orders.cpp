#include "fcgi/orders.h"

#include "common/clock.h"
#include "common/ids.h"
#include "common/keys.h"

namespace seckill {

OrderOutcome Orders::RunOrderScript(const char* script, const std::string& order_id, const std::string& user,
                                    std::string* detail) {
  std::string event;
  if (!ParseOrderId(order_id, &event)) return OrderOutcome::kNotFound;
  EventKeys keys(event);
  Status st;
  Reply r = redis_->ScriptWithRunId(script, {keys.meta, keys.users, keys.expiry, keys.log, keys.Order(order_id)},
                                    {order_id, user}, &st);
  if (!st.ok()) {
    *detail = st.message();
    return OrderOutcome::kUnavailable;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 || r->element[0]->type != REDIS_REPLY_INTEGER) {
    *detail = r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : std::string("unexpected reply");
    return OrderOutcome::kInternal;
  }
  switch (r->element[0]->integer) {
    case 1: return OrderOutcome::kOk;
    case -404: return OrderOutcome::kNotFound;
    case -409: return OrderOutcome::kConflict;
    case -503:
      *detail = kUnverifiedRedis;
      return OrderOutcome::kUnavailable;
    case -410:
      // The script may have just released the ticket (window passed): the
      // stock is up, so this front's sold-out flag must go.
      flags_->Lower(event);
      return OrderOutcome::kGone;
  }
  *detail = "unexpected script code";
  return OrderOutcome::kInternal;
}

OrderOutcome Orders::Pay(const std::string& order_id, const std::string& user, std::string* detail) {
  return RunOrderScript("pay", order_id, user, detail);
}

OrderOutcome Orders::Cancel(const std::string& order_id, const std::string& user, std::string* detail) {
  OrderOutcome o = RunOrderScript("cancel", order_id, user, detail);
  std::string event;
  if (o == OrderOutcome::kOk && ParseOrderId(order_id, &event)) flags_->Lower(event);  // stock first, flag after
  return o;
}

OrderOutcome Orders::Get(const std::string& order_id, const std::string& user, OrderView* view, std::string* detail) {
  std::string event;
  if (!ParseOrderId(order_id, &event)) return OrderOutcome::kNotFound;
  Status st;
  Reply r = redis_->Command({"HMGET", EventKeys(event).Order(order_id), "user", "status", "node", "reserved_at",
                             "expires_at", "paid_at", "cancelled_at", "expired_at"}, &st);
  if (!st.ok()) {
    *detail = st.message();
    return OrderOutcome::kUnavailable;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 8) return OrderOutcome::kInternal;
  auto str = [&](size_t i) {
    return r->element[i]->type == REDIS_REPLY_STRING ? std::string(r->element[i]->str, r->element[i]->len) : std::string();
  };
  if (str(0) != user) return OrderOutcome::kNotFound;
  view->order_id = order_id;
  view->event = event;
  view->user = user;
  view->status = str(1);
  view->node = str(2);
  view->reserved_at_ms = atoll(str(3).c_str());
  view->expires_at_ms = atoll(str(4).c_str());
  for (size_t i = 5; i < 8; i++)
    if (!str(i).empty()) view->closed_at_ms = atoll(str(i).c_str());
  // A reservation past its window is expired even before the reconciler
  // releases it: payment would be refused.
  if (view->status == "reserved" && WallMillis() >= view->expires_at_ms) view->status = "expired";
  return OrderOutcome::kOk;
}

OrderOutcome Orders::GetEvent(const std::string& event, EventView* view, std::string* detail) {
  Status st;
  Reply r = redis_->Command({"HMGET", EventKeys(event).meta, "total", "sold"}, &st);
  if (!st.ok()) {
    *detail = st.message();
    return OrderOutcome::kUnavailable;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) return OrderOutcome::kInternal;
  if (r->element[0]->type != REDIS_REPLY_STRING) return OrderOutcome::kNotFound;
  view->total = atoll(r->element[0]->str);
  view->sold = r->element[1]->type == REDIS_REPLY_STRING ? atoll(r->element[1]->str) : 0;
  return OrderOutcome::kOk;
}

}  // namespace seckill
