#include "fcgi/orders.h"

#include "common/ids.h"
#include "common/keys.h"
#include "lua_protocol.h"

namespace seckill {

namespace {

// A typed call's Status as an outcome: Redis unreachable, or a reply off the protocol.
OrderOutcome Failed(const Status& st, std::string* detail) {
  *detail = st.message();
  return st.code() == Status::Code::kUnavailable ? OrderOutcome::kUnavailable : OrderOutcome::kInternal;
}

// A write made: acknowledged only once a replica holds it (cluster mode).
OrderOutcome Confirmed(RedisClient* redis, std::string* detail) {
  if (redis->ConfirmWrites().ok()) return OrderOutcome::kOk;
  *detail = kNotConfirmed;
  return OrderOutcome::kUnavailable;
}

OrderOutcome NotVerified(std::string* detail) {
  *detail = kUnverifiedRedis;
  return OrderOutcome::kUnavailable;
}

}  // namespace

OrderOutcome Orders::Pay(const std::string& order_id, const std::string& user, std::string* detail) {
  std::string event;
  if (!ParseOrderId(order_id, &event)) return OrderOutcome::kNotFound;
  lua::PayReply reply;
  Status st = lua::Pay(redis_, EventKeys(event),
                       {.order_id = order_id, .user = user, .run_id = ServerRunId::kOfConnection}, &reply);
  if (!st.ok()) return Failed(st, detail);
  using Code = lua::PayReply::Code;
  switch (reply.code) {
    case Code::kPaid: return Confirmed(redis_, detail);
    case Code::kNotFound: return OrderOutcome::kNotFound;
    case Code::kNotVerified: return NotVerified(detail);
    case Code::kGone:
      // Past its window, the script released the ticket: the stock is up,
      // so this front's sold-out flag must go.
      if (reply.released) flags_->Lower(event);
      return OrderOutcome::kGone;
  }
  return OrderOutcome::kInternal;  // unreachable: the decoder accepts only the codes above
}

OrderOutcome Orders::Cancel(const std::string& order_id, const std::string& user, std::string* detail) {
  std::string event;
  if (!ParseOrderId(order_id, &event)) return OrderOutcome::kNotFound;
  lua::CancelReply reply;
  Status st = lua::Cancel(redis_, EventKeys(event),
                          {.order_id = order_id, .user = user, .run_id = ServerRunId::kOfConnection,
                           .cancel_limit = cancel_limit_},
                          &reply);
  if (!st.ok()) return Failed(st, detail);
  using Code = lua::CancelReply::Code;
  // A ticket went back to the stock (stock first, flag after): this front's
  // sold-out flag must go. A repeated cancellation releases nothing.
  if ((reply.code == Code::kCancelled || reply.code == Code::kGone) && reply.released) flags_->Lower(event);
  switch (reply.code) {
    case Code::kCancelled: return Confirmed(redis_, detail);
    case Code::kNotFound: return OrderOutcome::kNotFound;
    case Code::kPaid: return OrderOutcome::kConflict;
    case Code::kGone: return OrderOutcome::kGone;
    case Code::kCancelLimitReached:
      *detail = std::to_string(reply.limit);
      return OrderOutcome::kTooMany;
    case Code::kNotVerified: return NotVerified(detail);
  }
  return OrderOutcome::kInternal;  // unreachable
}

OrderOutcome Orders::Get(const std::string& order_id, const std::string& user, OrderView* view, std::string* detail) {
  std::string event;
  if (!ParseOrderId(order_id, &event)) return OrderOutcome::kNotFound;
  lua::LookReply reply;
  Status st = lua::Look(redis_, EventKeys(event), {.order_id = order_id, .user = user}, &reply);
  if (!st.ok()) return Failed(st, detail);
  if (reply.code != lua::LookReply::Code::kFound) return OrderOutcome::kNotFound;
  view->order_id = order_id;
  view->event = event;
  view->user = user;
  view->status = std::move(reply.status);
  view->node = std::move(reply.node);
  view->reserved_at_ms = reply.reserved_at_ms;
  view->expires_at_ms = reply.expires_at_ms;
  return OrderOutcome::kOk;
}

OrderOutcome Orders::GetEvent(const std::string& event, EventView* view, std::string* detail) {
  Status st;
  Reply r = redis_->Command(
      {"HMGET", EventKeys(event).meta, field::kTotal, field::kSold, field::kOpensAt, field::kClosesAt}, &st);
  if (!st.ok()) {
    *detail = st.message();
    return OrderOutcome::kUnavailable;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) return OrderOutcome::kInternal;
  if (r->element[0]->type != REDIS_REPLY_STRING) return OrderOutcome::kNotFound;
  auto num = [&](size_t i) { return r->element[i]->type == REDIS_REPLY_STRING ? atoll(r->element[i]->str) : 0; };
  view->total = num(0);
  view->sold = num(1);
  view->opens_at_ms = num(2);
  view->closes_at_ms = num(3);
  return OrderOutcome::kOk;
}

}  // namespace seckill
