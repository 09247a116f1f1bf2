#include "fcgi/reservation.h"

#include "common/clock.h"
#include "common/ids.h"
#include "common/keys.h"
#include "lua_protocol.h"

namespace seckill {
namespace {

int64_t IntAt(const redisReply* r, size_t i) {
  if (r->type != REDIS_REPLY_ARRAY || i >= r->elements) return 0;
  const redisReply* e = r->element[i];
  if (e->type == REDIS_REPLY_INTEGER) return e->integer;
  if (e->type == REDIS_REPLY_STRING) return atoll(e->str);
  return 0;
}

}  // namespace

Status Reservations::Lookup(const std::string& event, EventInfo** info) {
  auto it = events_.find(event);
  if (it != events_.end()) {
    *info = &it->second;
    return Status::Ok();
  }
  Status st;
  Reply r = redis_->Command({"HMGET", EventKeys(event).meta, field::kTotal, field::kCreatedAt}, &st);
  if (!st.ok()) return st;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING)
    return Status::NotFound("no event " + event);
  int64_t total = IntAt(r.get(), 0), generation = IntAt(r.get(), 1);
  st = counter_->Ensure(event, cluster_->Allotment(node_, total), generation);
  if (!st.ok()) return st;
  if (events_.size() > 10000) events_.clear();  // bound the cache; it refills itself
  *info = &events_[event];
  (*info)->generation = generation;
  return Status::Ok();
}

void Reservations::NoteReturned(const std::string& event, EventInfo* info, int64_t returned) {
  if (returned <= info->returned_seen) return;
  if (counter_->SeeReturned(event, returned).ok()) info->returned_seen = returned;
}

void Reservations::RaiseSoldOut(const std::string& event) {
  flags_->Raise(event);
  // Tickets may have come back between Redis's answer and the flag: look again.
  bool has_stock = false, exists = true;
  if (!ReadHasStock(redis_, event, &has_stock, &exists).ok() || has_stock || !exists) flags_->Lower(event);
}

bool Reservations::Refresh(const std::string& event, EventInfo* info) {
  int64_t now = MonoMillis();
  if (now < info->next_refresh_ms) return false;
  info->next_refresh_ms = now + kRefreshMs;
  Status st;
  Reply r = redis_->Command(
      {"HMGET", EventKeys(event).meta, field::kTotal, field::kSold, field::Returned(node_), field::kCreatedAt}, &st);
  if (!st.ok() || r->type != REDIS_REPLY_ARRAY || r->elements != 4) return false;
  if (r->element[0]->type != REDIS_REPLY_STRING) return false;  // gone: reserve.lua answers no_event
  const int64_t generation = IntAt(r.get(), 3);
  bool reset = false;
  if (generation != 0 && generation != info->generation) {
    // The event id was created again: the row of the old one starts anew.
    if (!counter_->Ensure(event, cluster_->Allotment(node_, IntAt(r.get(), 0)), generation).ok()) return false;
    info->generation = generation;
    info->returned_seen = 0;
    reset = true;
  }
  if (IntAt(r.get(), 1) >= IntAt(r.get(), 0)) RaiseSoldOut(event);
  int64_t before = info->returned_seen;
  NoteReturned(event, info, IntAt(r.get(), 2));
  return reset || info->returned_seen > before;
}

ReserveResult Reservations::Reserve(const std::string& event, const std::string& user) {
  using O = ReserveResult::Outcome;
  ReserveResult res;
  EventInfo* info = nullptr;
  Status st = Lookup(event, &info);
  if (!st.ok()) {
    res.outcome = st.code() == Status::Code::kNotFound ? O::kNoEvent : O::kUnavailable;
    res.detail = st.message();
    return res;
  }

  // Step 1: the node's allotment.
  NodeCounter::Take take = counter_->TakeOne(event);
  if (take == NodeCounter::Take::kExhausted && Refresh(event, info)) take = counter_->TakeOne(event);
  if (take == NodeCounter::Take::kBusy) {
    res.outcome = O::kUnavailable;
    res.detail = "node counter busy";
    return res;
  }
  if (take == NodeCounter::Take::kExhausted) {
    res.outcome = O::kSoldOut;
    return res;
  }

  // Step 2: the global stock.
  std::string order_id = NewOrderId(event);
  lua::ReserveReply reply;
  st = lua::Reserve(redis_, EventKeys(event),
                    {.user = user, .order_id = order_id, .node = node_, .run_id = ServerRunId::kOfConnection}, &reply);
  using Code = lua::ReserveReply::Code;
  if (!st.ok() || reply.code != Code::kReserved) counter_->GiveBack(event);
  if (!st.ok()) {
    res.outcome = st.code() == Status::Code::kUnavailable ? O::kUnavailable : O::kInternal;
    res.detail = st.message();
    return res;
  }
  // The event id was created again since this process cached it: the row
  // starts anew now (Refresh), not only once the old row runs out.
  if ((reply.code == Code::kReserved || reply.code == Code::kSoldOut) && reply.generation != 0 &&
      reply.generation != info->generation) {
    info->next_refresh_ms = 0;
    Refresh(event, info);
  }
  switch (reply.code) {
    case Code::kReserved:
      NoteReturned(event, info, reply.returned);
      if (!redis_->ConfirmWrites().ok()) {
        // Made, but no replica confirmed it: not acknowledged. The order
        // stays (it expires unpaid; the reconciler records it).
        res.outcome = O::kUnavailable;
        res.detail = kNotConfirmed;
        return res;
      }
      res.outcome = O::kReserved;
      res.order_id = std::move(order_id);
      res.expires_at_ms = reply.expires_at_ms;
      return res;
    case Code::kSoldOut:
      NoteReturned(event, info, reply.returned);
      counter_->ReturnLease(event);  // sold out: this process's lease goes back to the node's count
      RaiseSoldOut(event);
      res.outcome = O::kSoldOut;
      return res;
    case Code::kLimitReached:
      res.outcome = O::kLimit;
      res.order_id = std::move(reply.held_order);
      return res;
    case Code::kNoEvent:
      events_.erase(event);
      res.outcome = O::kNoEvent;
      return res;
    case Code::kNotVerified:
      res.outcome = O::kUnavailable;
      res.detail = kUnverifiedRedis;
      return res;
    case Code::kNotOpen:
      res.outcome = O::kNotOpen;
      res.at_ms = reply.opens_at_ms;
      return res;
    case Code::kClosed:
      res.outcome = O::kClosed;
      res.at_ms = reply.closes_at_ms;
      return res;
  }
  res.outcome = O::kInternal;  // unreachable: the decoder accepts only the codes above
  res.detail = "unexpected reserve reply";
  return res;
}

}  // namespace seckill
