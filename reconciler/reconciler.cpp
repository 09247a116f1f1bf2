#include "reconciler/reconciler.h"

#include <future>
#include <vector>

#include "common/clock.h"
#include "common/keys.h"
#include "lua_protocol.h"
#include "reconciler/event_stream.h"
#include "reconciler/expiry.h"
#include "reconciler/repair.h"

namespace seckill {

Status Reconciler::MoveEvent(const std::string& event, int64_t deadline_ms, const std::string& verify_run,
                             RunStats* stats) {
  // Reads go through the second connection, in a thread of their own, so
  // the next batch is read and merged while MySQL writes this one.
  EventStream stream(redis_, event, reader_);
  EventRow row;
  Status st = stream.ReadEvent(&row);
  if (st.code() == Status::Code::kNotFound) return Status::Ok();  // listed but gone: nothing to move
  if (!st.ok()) return st;

  struct Batch {
    std::vector<OrderChange> changes;
    std::vector<std::string> skipped;
    std::vector<OrderRow> rows;
    bool empty() const { return changes.empty() && skipped.empty(); }
  };
  auto read = [&](Batch* b) {
    Status rs = stream.Read(options_.batch, &b->changes, &b->skipped);
    b->rows = rs.ok() ? MergeChanges(event, b->changes) : std::vector<OrderRow>();
    return rs;
  };
  Batch batch, next;
  std::vector<std::string> written;  // stream ids of the last batch committed, to acknowledge
  auto ack_written = [&] {
    Status as = stream.Ack(written);
    if (as.ok()) written.clear();
    return as;
  };
  constexpr int kTrimEveryBatches = 10;
  int batches = 0;
  bool drained = false;
  st = read(&batch);
  if (!st.ok()) return st;
  // An event with nothing new costs MySQL nothing: its row is written, and
  // the counts compared, when it has changes, when Redis is being checked,
  // and once per process (a finished sale's event is not queried each pass).
  const bool first_look = looked_at_.count(event) == 0;
  const bool busy = !batch.empty() || first_look || !verify_run.empty();
  if (busy) {
    st = store_->UpsertEvent(row);
    if (!st.ok()) return st;
  }
  while (MonoMillis() < deadline_ms) {
    if (batch.empty()) {
      drained = true;
      break;
    }
    // While MySQL writes this batch, the stream connection acknowledges the
    // previous one (committed) and reads the next. A batch read but never
    // written stays pending: the next run reads it again (event_stream.h).
    std::future<Status> ahead = std::async(std::launch::async, [&] {
      Status as = ack_written();
      return as.ok() ? read(&next) : as;
    });
    st = store_->WriteOrders(batch.rows);
    Status ahead_st = ahead.get();  // joined before `next`, `written` or `stream` is touched again
    if (!st.ok()) return st;  // not acknowledged: the next run writes them again
    if (!ahead_st.ok()) return ahead_st;
    written = std::move(batch.skipped);
    for (const auto& c : batch.changes) written.push_back(c.stream_id);
    stats->moved += static_cast<int64_t>(batch.changes.size());
    st = Retire(stream.keys(), batch.changes);
    if (!st.ok()) return st;
    // Under a steady inflow the stream may never be empty: trim as we go.
    if (options_.trim && ++batches % kTrimEveryBatches == 0) {
      st = stream.Trim();
      if (!st.ok()) return st;
    }
    std::swap(batch, next);
  }
  st = ack_written();
  if (!st.ok()) return st;
  if (options_.trim) {
    st = stream.Trim();
    if (!st.ok()) return st;
  }
  // Drained: MySQL and Redis should agree. On a Redis process not yet
  // checked since it started, make Redis agree with every order MySQL has,
  // then let the event sell again (repair.h); otherwise repair only if MySQL
  // holds more tickets than Redis.
  if (drained && busy) {
    RepairStats repair;
    st = RepairOrders(redis_, store_, event, !verify_run.empty(), &repair);
    stats->restored += repair.restored;
    stats->corrected += repair.changed;
    if (!st.ok()) return st;
    looked_at_.insert(event);  // written and compared: idle passes may skip it now
    if (!verify_run.empty()) {
      // verify_run is the run_id read before the drain: if Redis restarted
      // since, it no longer matches and the event stays closed.
      redis_->Command({"HSET", stream.keys().meta, field::kVerifiedRun, verify_run}, &st);
      if (!st.ok()) return st;
      stats->verified++;
      if (options_.release) {
        st = ReleaseExpired(redis_, stream.keys(), options_.release_batch, 1000000000, &stats->released);
        if (!st.ok()) return st;
      }
    }
  }
  int64_t now = 0, lag = 0;
  st = RedisNowMillis(redis_, &now);
  if (st.ok()) st = stream.Lag(now, &lag);
  if (!st.ok()) return st;
  if (lag > stats->lag_ms) stats->lag_ms = lag;
  // The pass, for the operator page (GET /status/{event}).
  redis_->Command({"HSET", stream.keys().meta, field::kReconciledAt, std::to_string(now), field::kLagMs, std::to_string(lag)}, &st);
  return st;
}

Status Reconciler::Retire(const EventKeys& keys, const std::vector<OrderChange>& changes) {
  if (options_.final_ttl_s <= 0) return Status::Ok();
  lua::RetireArgs args{.ttl_s = options_.final_ttl_s, .orders = {}};
  for (const auto& c : changes)
    if (c.type != OrderStatus::kReserved) args.orders.push_back({.order_id = c.order_id});
  if (args.orders.empty()) return Status::Ok();
  lua::RetireReply reply;
  return lua::Retire(redis_, keys, args, &reply);
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

  // Which events this Redis process was checked for (repair.h). The run_id
  // is read before anything else, so a restart during the run cannot be
  // taken for verified.
  const std::string run_id = redis_->run_id();
  if (run_id.empty())
    return Status::Internal("redis gave no run_id (is INFO allowed to this user?): cannot tell whether it restarted");
  std::vector<std::vector<std::string>> ask;
  for (const auto& ev : ids) ask.push_back({"HGET", EventKeys(ev).meta, field::kVerifiedRun});
  std::vector<Reply> seen = redis_->Pipeline(ask, &st);
  if (!st.ok()) return st;
  std::vector<std::string> verify(ids.size());
  for (size_t i = 0; i < ids.size(); i++) {
    const redisReply* r = seen[i].get();
    if (r->type != REDIS_REPLY_STRING || run_id != std::string(r->str, r->len)) verify[i] = run_id;
  }

  // Release first: the expired entries it appends are then moved in this run.
  // It needs only Redis, so tickets go back on sale even while MySQL is down.
  // Not on an unverified event: its Redis may have lost a payment MySQL has.
  Status first;
  if (options_.release) {
    for (size_t i = 0; i < ids.size(); i++) {
      const std::string& ev = ids[i];
      if (!verify[i].empty()) continue;
      st = ReleaseExpired(redis_, EventKeys(ev), options_.release_batch, 1000000000, &stats->released);
      if (!st.ok()) {
        stats->errors++;
        if (first.ok()) first = st;
      }
    }
  }
  for (size_t i = 0; i < ids.size(); i++) {
    const std::string& ev = ids[i];
    st = MoveEvent(ev, deadline, verify[i], stats);
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
