#include "reconciler/reconciler.h"

#include <algorithm>
#include <future>
#include <map>
#include <vector>

#include "common/clock.h"
#include "common/keys.h"
#include "lua_protocol.h"
#include "reconciler/event_stream.h"
#include "reconciler/expiry.h"
#include "reconciler/repair.h"

namespace seckill {

// --- one event's pass ------------------------------------------------------------

Status Reconciler::ReconcileEvent(const std::string& event, int64_t deadline_ms, const std::string& verify_run,
                                  RunStats* stats) {
  // Reads go through the second connection, in a thread of their own, so
  // the next batch is read and merged while MySQL writes this one.
  EventStream stream(redis_, event, reader_);
  EventRow row;
  Status st = stream.ReadEvent(&row);
  if (st.code() == Status::Code::kNotFound) return Status::Ok();  // listed but gone: nothing to move
  if (!st.ok()) return st;

  Batch first;
  st = ReadBatch(&stream, &first);
  if (!st.ok()) return st;
  // An event with nothing new costs MySQL nothing: its row is written, and
  // the counts compared, when it has changes, when Redis is being checked,
  // and once per process (a finished sale's event is not queried each pass).
  const bool busy = !first.empty() || looked_at_.count(event) == 0 || !verify_run.empty();
  if (busy) {
    st = store_->UpsertEvent(row);
    if (!st.ok()) return st;
  }
  bool drained = false;
  st = MoveChanges(&stream, std::move(first), deadline_ms, stats, &drained);
  if (!st.ok()) return st;
  // Drained: MySQL and Redis should agree; check them (repair.h).
  if (drained && busy) {
    st = CheckAgainstMySql(stream.keys(), verify_run, stats);
    if (!st.ok()) return st;
  }
  return PublishPass(&stream, stats);
}

Status Reconciler::ReadBatch(EventStream* stream, Batch* b) {
  Status st = stream->Read(options_.batch, &b->changes, &b->skipped);
  b->rows = st.ok() ? MergeChanges(stream->keys().event, b->changes) : std::vector<OrderRow>();
  return st;
}

Status Reconciler::MoveChanges(EventStream* stream, Batch batch, int64_t deadline_ms, RunStats* stats, bool* drained) {
  Batch next;
  std::vector<std::string> written;  // stream ids of the last batch committed, to acknowledge
  auto ack_written = [&] {
    Status as = stream->Ack(written);
    if (as.ok()) written.clear();
    return as;
  };
  constexpr int kTrimEveryBatches = 10;
  int batches = 0;
  *drained = false;
  Status st;
  while (MonoMillis() < deadline_ms) {
    if (batch.empty()) {
      *drained = true;
      break;
    }
    // While MySQL writes this batch, the stream connection acknowledges the
    // previous one (committed) and reads the next. A batch read but never
    // written stays pending: the next run reads it again (event_stream.h).
    std::future<Status> ahead = std::async(std::launch::async, [&] {
      Status as = ack_written();
      return as.ok() ? ReadBatch(stream, &next) : as;
    });
    st = store_->WriteOrders(batch.rows);
    Status ahead_st = ahead.get();  // joined before `next`, `written` or `stream` is touched again
    if (!st.ok()) return st;  // not acknowledged: the next run writes them again
    if (!ahead_st.ok()) return ahead_st;
    written = std::move(batch.skipped);
    for (const auto& c : batch.changes) written.push_back(c.stream_id);
    stats->moved += static_cast<int64_t>(batch.changes.size());
    st = Retire(stream->keys(), batch.changes);
    if (!st.ok()) return st;
    // Under a steady inflow the stream may never be empty: trim as we go.
    if (options_.trim && ++batches % kTrimEveryBatches == 0) {
      st = stream->Trim();
      if (!st.ok()) return st;
    }
    std::swap(batch, next);
  }
  st = ack_written();
  if (!st.ok()) return st;
  return options_.trim ? stream->Trim() : Status::Ok();
}

Status Reconciler::CheckAgainstMySql(const EventKeys& keys, const std::string& verify_run, RunStats* stats) {
  // On a Redis process not yet checked since it started, make Redis agree
  // with every order MySQL has, then let the event sell again; otherwise
  // repair only if MySQL holds more tickets than Redis.
  RepairStats repair;
  Status st = RepairOrders(redis_, store_, keys.event, !verify_run.empty(), &repair);
  stats->restored += repair.restored;
  stats->corrected += repair.changed;
  if (!st.ok()) return st;
  looked_at_.insert(keys.event);  // written and compared: idle passes may skip it now
  if (verify_run.empty()) return Status::Ok();
  // verify_run is the run_id read before the drain: if Redis restarted
  // since, it no longer matches and the event stays closed.
  redis_->Command({"HSET", keys.meta, field::kVerifiedRun, verify_run}, &st);
  if (!st.ok()) return st;
  stats->verified++;
  return options_.release ? ReleaseExpired(redis_, keys, options_.release_batch, kNoLimit, &stats->released)
                          : Status::Ok();
}

Status Reconciler::PublishPass(EventStream* stream, RunStats* stats) {
  int64_t now = 0, lag = 0;
  Status st = RedisNowMillis(redis_, &now);
  if (st.ok()) st = stream->Lag(now, &lag);
  if (!st.ok()) return st;
  if (lag > stats->lag_ms) stats->lag_ms = lag;
  // The pass, for the operator page (GET /status/{event}).
  redis_->Command({"HSET", stream->keys().meta, field::kReconciledAt, std::to_string(now), field::kLagMs,
                   std::to_string(lag)}, &st);
  return st;
}

Status Reconciler::Retire(const EventKeys& keys, const std::vector<OrderChange>& changes) {
  if (options_.final_ttl_s <= 0 && options_.released_ttl_s <= 0) return Status::Ok();
  lua::RetireArgs args{.ttl_s = options_.final_ttl_s, .released_ttl_s = options_.released_ttl_s, .orders = {}};
  for (const auto& c : changes)
    if (c.type != OrderStatus::kReserved) args.orders.push_back({.order_id = c.order_id});
  if (args.orders.empty()) return Status::Ok();
  lua::RetireReply reply;
  return lua::Retire(redis_, keys, args, &reply);
}

// --- the whole pass ----------------------------------------------------------------

Status Reconciler::UnverifiedEvents(const std::vector<std::string>& ids, std::vector<std::string>* verify,
                                    std::vector<bool>* unreachable) {
  // The run_id is read before anything else, so a restart during the run
  // cannot be taken for verified. In cluster mode each event's is its
  // master's, and the events are asked for shard by shard (one pipeline per
  // master): a shard that cannot be reached leaves its events out of this
  // pass (*unreachable), the other shards' go on.
  std::map<std::string, std::vector<size_t>> by_node;  // master ("" on a single server) -> events
  for (size_t i = 0; i < ids.size(); i++) by_node[redis_->NodeOf(EventKeys(ids[i]).meta)].push_back(i);
  verify->assign(ids.size(), "");
  unreachable->assign(ids.size(), false);
  Status first;
  for (const auto& [node, members] : by_node) {
    std::string run_id;
    Status st = redis_->RunIdOf(EventKeys(ids[members[0]]).meta, &run_id);
    if (st.ok() && run_id.empty())
      st = Status::Internal("redis gave no run_id (is INFO allowed to this user?): cannot tell whether it restarted");
    std::vector<std::vector<std::string>> ask;
    for (size_t i : members) ask.push_back({"HGET", EventKeys(ids[i]).meta, field::kVerifiedRun});
    std::vector<Reply> seen;
    if (st.ok()) seen = redis_->Pipeline(ask, &st);
    if (!st.ok()) {
      if (first.ok()) first = st;
      for (size_t i : members) (*unreachable)[i] = true;
      continue;
    }
    for (size_t k = 0; k < members.size(); k++) {
      const redisReply* r = seen[k].get();
      if (r->type != REDIS_REPLY_STRING || run_id != std::string(r->str, r->len)) (*verify)[members[k]] = run_id;
    }
  }
  return first;
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

  Status first;
  auto note = [&](const Status& s) {
    if (s.ok()) return;
    stats->errors++;
    if (first.ok()) first = s;
  };
  // Which events this Redis process was not checked for (repair.h).
  std::vector<std::string> verify;
  std::vector<bool> skip;  // events on a shard that cannot be reached now: the next run retries
  st = UnverifiedEvents(ids, &verify, &skip);
  if (!redis_->is_cluster() && !st.ok()) return st;
  note(st);
  // Release first: the expired entries it appends are then moved in this run.
  // It needs only Redis, so tickets go back on sale even while MySQL is down.
  // Not on an unverified event: its Redis may have lost a payment MySQL has.
  if (options_.release) {
    for (size_t i = 0; i < ids.size(); i++)
      if (verify[i].empty() && !skip[i])
        note(ReleaseExpired(redis_, EventKeys(ids[i]), options_.release_batch, kNoLimit, &stats->released));
  }
  std::set<std::string> down;  // cluster mode: masters found unreachable in this pass
  for (size_t i = 0; i < ids.size(); i++) {
    if (skip[i]) continue;
    // Each event may use its share of what is left of the budget (at least
    // kMinSliceMs of it), so a busy event cannot starve the ones after it
    // within a pass; what a drained event leaves goes to the next ones.
    const int64_t now = MonoMillis();
    const int64_t left = std::max<int64_t>(0, deadline - now);
    const int64_t slice = std::min(left, std::max<int64_t>(kMinSliceMs, left / static_cast<int64_t>(ids.size() - i)));
    const std::string node = redis_->is_cluster() ? redis_->NodeOf(EventKeys(ids[i]).meta) : "";
    if (down.count(node)) continue;
    st = ReconcileEvent(ids[i], now + slice, verify[i], stats);
    note(st);
    // A server is down: the next run retries. On a cluster only that
    // master's events wait (or MySQL's: then every event fails alike).
    if (st.code() == Status::Code::kUnavailable) {
      if (!redis_->is_cluster()) break;
      down.insert(node);
    }
  }
  if (!first.ok()) stats->error = first.message();
  return first;
}

}  // namespace seckill
