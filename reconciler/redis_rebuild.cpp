#include "reconciler/redis_rebuild.h"

#include <future>
#include <map>

#include "common/keys.h"
#include "lua_protocol.h"

namespace seckill {
namespace {

std::string ReplyText(const redisReply* r) {
  return r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS
             ? std::string(r->str, r->len)
             : "unexpected reply";
}

// Appends the order ids of a space-separated list to `argv`, as order keys.
void AppendOrderKeys(const EventKeys& keys, const char* list, size_t len, std::vector<std::string>* argv) {
  size_t i = 0;
  while (i < len) {
    while (i < len && list[i] == ' ') i++;
    size_t start = i;
    while (i < len && list[i] != ' ') i++;
    if (i > start) argv->push_back(keys.Order(std::string_view(list + start, i - start)));
  }
}

}  // namespace

Status RedisRebuild::Send(const std::vector<std::vector<std::string>>& commands, const char* what) {
  Status st;
  std::vector<Reply> replies = redis_->Pipeline(commands, &st);
  if (!st.ok()) return st;
  for (const Reply& r : replies)
    if (r->type == REDIS_REPLY_ERROR) return Status::Internal(std::string(what) + ": " + ReplyText(r.get()));
  return Status::Ok();
}

Status RedisRebuild::Plan(std::vector<EventRow>* events) {
  Status st = store_->ReadEvents(options_.event, events);
  if (!st.ok()) return st;
  if (!options_.event.empty() && events->empty())
    return Status::NotFound("no event '" + options_.event + "' in MySQL's events table");
  if (options_.force || events->empty()) return Status::Ok();
  std::vector<std::vector<std::string>> exists;
  for (const EventRow& e : *events) exists.push_back({"EXISTS", EventKeys(e.event).meta});
  std::vector<Reply> replies = redis_->Pipeline(exists, &st);
  if (!st.ok()) return st;
  std::string found;
  size_t n = 0;
  for (size_t i = 0; i < replies.size(); i++) {
    if (replies[i]->type != REDIS_REPLY_INTEGER) return Status::Internal("EXISTS: " + ReplyText(replies[i].get()));
    if (replies[i]->integer > 0) found += (n++ ? ", " : "") + exists[i][1];
  }
  if (n > 0)
    return Status::Invalid(found + (n == 1 ? " exists" : " exist") + " in Redis: not overwritten (--force replaces "
                           "an event's Redis state with MySQL's)");
  return Status::Ok();
}

// --- 1. clearing ---------------------------------------------------------------

Status RedisRebuild::Clear(const EventRow& event) {
  EventKeys keys(event.event);
  Status st;
  Reply r = redis_->Command({"EXISTS", keys.meta, keys.users, keys.expiry, keys.log}, &st);
  if (!st.ok()) return st;
  if (r->type != REDIS_REPLY_INTEGER) return Status::Internal("EXISTS: " + ReplyText(r.get()));
  if (r->integer == 0) return Status::Ok();  // the usual case after a loss: nothing to clear
  if (!options_.force) {
    r = redis_->Command({"EXISTS", keys.meta}, &st);
    if (!st.ok()) return st;
    if (r->type == REDIS_REPLY_INTEGER && r->integer > 0)
      return Status::Invalid(keys.meta + " exists in Redis: not overwritten (--force replaces an event's Redis "
                             "state with MySQL's)");
  }
  // Reservations stop at once; releases of old orders may still recreate
  // ev:{E} (sold−1) until their hashes are gone: it is deleted again below.
  st = Send({{"DEL", keys.meta}}, "DEL");
  if (!st.ok()) return st;

  // DEL of many order keys at a time: flush(false) once `batch` are queued.
  std::vector<std::string> del = {"DEL"};
  auto flush = [&](bool all) {
    if (del.size() <= (all ? 1 : options_.batch)) return Status::Ok();
    Status s = Send({del}, "DEL orders");
    del.resize(1);
    return s;
  };

  // The orders Redis lists: the holders' orders and the pending ones, each
  // key read at once (the reconciler's ACL user has no SCAN). An order a
  // release drops meanwhile was released, and a released order's hash left
  // behind is harmless (pay and cancel refuse it).
  r = redis_->Command({"HGETALL", keys.users}, &st);
  if (!st.ok()) return st;
  if (r->type != REDIS_REPLY_ARRAY) return Status::Internal("HGETALL: " + ReplyText(r.get()));
  for (size_t i = 1; i < r->elements; i += 2) {
    AppendOrderKeys(keys, r->element[i]->str, r->element[i]->len, &del);
    if (!(st = flush(false)).ok()) return st;
  }
  r = redis_->Command({"ZRANGEBYSCORE", keys.expiry, "-inf", "+inf"}, &st);
  if (!st.ok()) return st;
  if (r->type != REDIS_REPLY_ARRAY) return Status::Internal("ZRANGEBYSCORE: " + ReplyText(r.get()));
  for (size_t i = 0; i < r->elements; i++) {
    del.push_back(keys.Order(std::string_view(r->element[i]->str, r->element[i]->len)));
    if (!(st = flush(false)).ok()) return st;
  }

  // The orders MySQL lists (whatever their state in Redis).
  std::vector<OrderRow> rows;
  std::string after;
  do {
    st = store_->ReadOrders(event.event, after, options_.batch, &rows);
    if (!st.ok()) return st;
    for (const OrderRow& o : rows) del.push_back(keys.Order(o.order_id));
    if (!(st = flush(true)).ok()) return st;
    if (!rows.empty()) after = rows.back().order_id;
  } while (rows.size() == options_.batch);

  return Send({{"DEL", keys.meta, keys.users, keys.expiry, keys.log, keys.cancels}}, "DEL event keys");
}

// --- 2. the stream, holders, orders ------------------------------------------

Status RedisRebuild::WriteHolders(const EventRow& event) {
  EventKeys keys(event.event);
  std::vector<std::pair<std::string, std::string>> holders;
  std::string after;
  do {
    Status st = store_->ReadHolders(event.event, after, options_.batch, &holders);
    if (!st.ok()) return st;
    if (holders.empty()) break;
    std::vector<std::string> hset = {"HSET", keys.users};
    hset.reserve(2 + 2 * holders.size());
    for (auto& h : holders) {
      hset.push_back(h.first);
      hset.push_back(std::move(h.second));
    }
    if (!(st = Send({hset}, "HSET users")).ok()) return st;
    after = holders.back().first;
  } while (holders.size() >= options_.batch);
  return Status::Ok();
}

Status RedisRebuild::WriteOrders(const EventRow& event, RebuildStats* stats,
                                 std::vector<std::pair<std::string, int64_t>>* returned) {
  EventKeys keys(event.event);
  std::map<std::string, int64_t> by_node;
  std::vector<OrderRow> rows, next;
  Status st = store_->ReadOrders(event.event, "", options_.batch, &rows);
  while (st.ok() && !rows.empty()) {
    // MySQL reads the next page (on a helper thread, the only user of the
    // store meanwhile) while Redis writes this one.
    const bool more = rows.size() == options_.batch;
    std::future<Status> ahead;
    if (more)
      ahead = std::async(std::launch::async, [this, &event, &next, after = rows.back().order_id] {
        return store_->ReadOrders(event.event, after, options_.batch, &next);
      });
    // Each order's hash, index entry and (limit 1) holding, as the scripts
    // would have left them (lua/rebuild_orders.lua), kRebuildCall orders per
    // call: a script blocks Redis while it runs.
    constexpr size_t kRebuildCall = 500;
    lua::RebuildOrdersArgs args{.hold = event.limit == 1 ? 1 : 0, .orders = {}};
    lua::RebuildOrdersReply reply;
    for (const OrderRow& o : rows) {
      args.orders.push_back({.order_id = o.order_id, .user = o.user, .node = o.node,
                             .status = OrderStatusName(o.status), .reserved_at_ms = o.reserved_ms,
                             .expires_at_ms = o.expires_ms, .paid_at_ms = o.paid_ms,
                             .expired_at_ms = o.expired_ms, .cancelled_at_ms = o.cancelled_ms});
      switch (o.status) {
        case OrderStatus::kReserved:
          stats->pending++;
          stats->sold++;
          break;
        case OrderStatus::kPaid:
          stats->sold++;
          stats->paid++;
          break;
        case OrderStatus::kExpired:
          stats->expired++;
          by_node[o.node]++;
          break;
        case OrderStatus::kCancelled:
          stats->cancelled++;
          by_node[o.node]++;
          break;
        case OrderStatus::kRetired:
          break;  // not a MySQL status (order_status.h)
      }
      if (args.orders.size() == kRebuildCall || &o == &rows.back()) {
        if (st.ok()) st = lua::RebuildOrders(redis_, keys, args, &reply);
        args.orders.clear();
      }
    }
    Status read = more ? ahead.get() : Status::Ok();  // always joined before `next` is touched
    if (st.ok()) st = read;
    stats->orders += static_cast<int64_t>(rows.size());
    rows.swap(next);
    next.clear();
    if (!more) break;
  }
  if (!st.ok()) return st;
  returned->assign(by_node.begin(), by_node.end());
  return Status::Ok();
}

// --- 3. on sale again ----------------------------------------------------------

Status RedisRebuild::Open(const EventRow& e, const RebuildStats& counts,
                          const std::vector<std::pair<std::string, int64_t>>& returned, const std::string& run_id) {
  EventKeys keys(e.event);
  lua::RebuildEventArgs args{.total = e.total, .limit = e.limit, .window_s = e.window_s,
                             .price_cents = e.price_cents, .created_at_ms = e.created_ms, .sold = counts.sold,
                             .paid = counts.paid, .expired = counts.expired, .cancelled = counts.cancelled,
                             .verified_run = run_id, .opens_at_ms = e.opens_ms, .closes_at_ms = e.closes_ms,
                             .returned = {}};
  for (const auto& [node, n] : returned) args.returned.push_back({.node = node, .count = n});
  lua::RebuildEventReply reply;
  Status st = lua::RebuildEvent(redis_, keys, args, &reply);
  if (!st.ok()) return st;
  st = Send({{"SADD", kEventsSetKey, e.event}}, "SADD");
  // Listed again for the fronts' opening watchers (keys.h), if it opens later.
  if (st.ok() && e.opens_ms > 0) st = Send({{"ZADD", kOpeningSetKey, std::to_string(e.opens_ms), e.event}}, "ZADD");
  return st;
}

Status RedisRebuild::Rebuild(const EventRow& event, RebuildStats* stats) {
  *stats = RebuildStats();
  stats->event = event.event;
  stats->total = event.total;
  // The server this rebuild writes to: if Redis restarts before the event is
  // opened, the new process is not marked verified (keys.h), and the
  // event stays closed until the reconciler or another rebuild checks it.
  // (In cluster mode: the master that owns the event's slot.)
  std::string run_id;
  Status st = redis_->RunIdOf(EventKeys(event.event).meta, &run_id);
  if (!st.ok()) return st;
  st = Clear(event);
  if (!st.ok()) return st;
  EventKeys keys(event.event);
  Reply r = redis_->Command({"XGROUP", "CREATE", keys.log, kReconcilerGroup, "0", "MKSTREAM"}, &st);
  if (!st.ok()) return st;
  if (r->type == REDIS_REPLY_ERROR && std::string(r->str, r->len).rfind("BUSYGROUP", 0) != 0)
    return Status::Internal("XGROUP CREATE " + keys.log + ": " + ReplyText(r.get()));
  std::vector<std::pair<std::string, int64_t>> returned;
  if (event.limit != 1) st = WriteHolders(event);  // limit 1: WriteOrders writes them
  if (st.ok()) st = WriteOrders(event, stats, &returned);
  if (st.ok()) st = Open(event, *stats, returned, run_id);
  return st;
}

}  // namespace seckill
