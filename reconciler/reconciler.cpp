#include "reconciler/reconciler.h"

#include <vector>

#include "common/clock.h"
#include "common/keys.h"
#include "reconciler/event_stream.h"
#include "reconciler/expiry.h"
#include "reconciler/repair.h"

namespace seckill {

Status Reconciler::MoveEvent(const std::string& event, int64_t deadline_ms, RunStats* stats) {
  EventStream stream(redis_, event);
  EventRow row;
  Status st = stream.ReadEvent(&row);
  if (st.code() == Status::Code::kNotFound) return Status::Ok();  // listed but gone: nothing to move
  if (!st.ok()) return st;
  st = store_->UpsertEvent(row);
  if (!st.ok()) return st;

  std::vector<OrderChange> changes;
  std::vector<std::string> skipped;
  constexpr int kTrimEveryBatches = 10;
  int batches = 0;
  while (MonoMillis() < deadline_ms) {
    st = stream.Read(options_.batch, &changes, &skipped);
    if (!st.ok()) return st;
    if (changes.empty() && skipped.empty()) break;
    st = store_->WriteOrders(MergeChanges(event, changes));
    if (!st.ok()) return st;  // not acknowledged: the next run writes them again
    std::vector<std::string> ids = std::move(skipped);
    for (const auto& c : changes) ids.push_back(c.stream_id);
    st = stream.Ack(ids);
    if (!st.ok()) return st;
    stats->moved += static_cast<int64_t>(changes.size());
    st = Retire(stream.keys(), changes);
    if (!st.ok()) return st;
    // Under a steady inflow the stream may never be empty: trim as we go.
    if (options_.trim && ++batches % kTrimEveryBatches == 0) {
      st = stream.Trim();
      if (!st.ok()) return st;
    }
  }
  if (options_.trim) {
    st = stream.Trim();
    if (!st.ok()) return st;
  }
  // Drained: MySQL and Redis should agree. If MySQL holds more tickets,
  // Redis lost orders (a crash): put them back before anyone buys them.
  if (MonoMillis() < deadline_ms) {
    st = RepairVanishedOrders(redis_, store_, event, &stats->restored);
    if (!st.ok()) return st;
  }
  int64_t now = 0, lag = 0;
  st = RedisNowMillis(redis_, &now);
  if (st.ok()) st = stream.Lag(now, &lag);
  if (!st.ok()) return st;
  if (lag > stats->lag_ms) stats->lag_ms = lag;
  // The pass, for the operator page (GET /status/{event}).
  redis_->Command({"HSET", stream.keys().meta, "reconciled_at", std::to_string(now), "lag_ms", std::to_string(lag)}, &st);
  return st;
}

Status Reconciler::Retire(const EventKeys& keys, const std::vector<OrderChange>& changes) {
  if (options_.final_ttl_s <= 0) return Status::Ok();
  std::vector<std::string> orders;
  for (const auto& c : changes)
    if (c.type != OrderStatus::kReserved) orders.push_back(keys.Order(c.order_id));
  if (orders.empty()) return Status::Ok();
  Status st;
  Reply r = redis_->Script("retire", orders, {std::to_string(options_.final_ttl_s)}, &st);
  if (st.ok() && r->type == REDIS_REPLY_ERROR) return Status::Internal("retire.lua: " + std::string(r->str, r->len));
  return st;
}

Status Reconciler::RunOnce(RunStats* stats) {
  int64_t deadline = MonoMillis() + options_.budget_ms;
  Status st;
  Reply events = redis_->Command({"SMEMBERS", kEventsSetKey}, &st);
  if (!st.ok()) return st;
  std::vector<std::string> ids;
  if (events->type == REDIS_REPLY_ARRAY)
    for (size_t i = 0; i < events->elements; i++) ids.emplace_back(events->element[i]->str, events->element[i]->len);
  stats->events = static_cast<int64_t>(ids.size());

  // Release first: the expired entries it appends are then moved in this run.
  // It needs only Redis, so tickets go back on sale even while MySQL is down.
  Status first;
  if (options_.release) {
    for (const auto& ev : ids) {
      st = ReleaseExpired(redis_, EventKeys(ev), options_.release_batch, 1000000000, &stats->released);
      if (!st.ok()) {
        stats->errors++;
        if (first.ok()) first = st;
      }
    }
  }
  for (const auto& ev : ids) {
    st = MoveEvent(ev, deadline, stats);
    if (!st.ok()) {
      stats->errors++;
      if (first.ok()) first = st;
      if (st.code() == Status::Code::kUnavailable) break;  // a server is down: the next run retries
    }
  }
  if (!first.ok()) stats->error = first.message();
  return first;
}

}  // namespace seckill
