#include "reconciler/event_stream.h"

#include "lua_protocol.h"

namespace seckill {
namespace {

constexpr const char* kConsumer = "reconciler";

int64_t IdMillis(const std::string& id) { return atoll(id.c_str()); }

}  // namespace

Status EventStream::Read(size_t count, std::vector<OrderChange>* changes, std::vector<std::string>* skipped) {
  changes->clear();
  skipped->clear();
  for (;;) {
    Status st;
    Reply r = reader_->Command({"XREADGROUP", "GROUP", kReconcilerGroup, kConsumer, "COUNT", std::to_string(count),
                               "STREAMS", keys_.log, cursor_}, &st);
    if (!st.ok()) return st;
    if (r->type == REDIS_REPLY_ERROR) {
      std::string err(r->str, r->len);
      if (err.rfind("NOGROUP", 0) == 0) {  // an event created before its group: make it, from the start
        reader_->Command({"XGROUP", "CREATE", keys_.log, kReconcilerGroup, "0", "MKSTREAM"}, &st);
        if (!st.ok()) return st;
        continue;
      }
      return Status::Internal("XREADGROUP " + keys_.log + ": " + err);
    }
    // Reply: nil (nothing new) or [[stream, [entries…]]].
    const redisReply* entries = nullptr;
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->elements == 2)
      entries = r->element[0]->element[1];
    size_t n = entries && entries->type == REDIS_REPLY_ARRAY ? entries->elements : 0;
    if (n == 0) {
      if (cursor_ == ">") return Status::Ok();  // drained
      cursor_ = ">";                           // no more pending: go on with new entries
      continue;
    }
    for (size_t i = 0; i < n; i++) {
      OrderChange c;
      const redisReply* e = entries->element[i];
      if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 && e->element[0]->type == REDIS_REPLY_STRING &&
          e->element[1]->type != REDIS_REPLY_ARRAY) {
        // Pending (delivered to a run that never acknowledged it) but its
        // content is gone: trimmed before its commit. Its change may be
        // missing from MySQL: stop, never acknowledge it silently.
        return Status::Internal("stream " + keys_.log + ": entry " + std::string(e->element[0]->str, e->element[0]->len) +
                                " is pending but was trimmed away: its change may be missing from MySQL "
                                "(docs/operations.md, a pending entry lost)");
      }
      if (ParseStreamEntry(e, &c).ok()) {
        changes->push_back(std::move(c));
      } else if (entries->element[i]->type == REDIS_REPLY_ARRAY && entries->element[i]->elements >= 1 &&
                 entries->element[i]->element[0]->type == REDIS_REPLY_STRING) {
        skipped->emplace_back(entries->element[i]->element[0]->str, entries->element[i]->element[0]->len);
      }
    }
    if (cursor_ != ">") {
      // The next pending read starts after this batch: after its last entry
      // (a reply lists entries in id order; ids are not compared as strings,
      // where "5-10" < "5-9").
      const redisReply* last = entries->element[n - 1];
      if (last->type != REDIS_REPLY_ARRAY || last->elements < 1 || last->element[0]->type != REDIS_REPLY_STRING)
        return Status::Internal("XREADGROUP " + keys_.log + ": an entry without an id");
      cursor_.assign(last->element[0]->str, last->element[0]->len);
    }
    return Status::Ok();
  }
}

Status EventStream::Ack(const std::vector<std::string>& ids) {
  if (ids.empty()) return Status::Ok();
  std::vector<std::string> argv = {"XACK", keys_.log, kReconcilerGroup};
  argv.insert(argv.end(), ids.begin(), ids.end());
  Status st;
  Reply r = reader_->Command(argv, &st);
  if (st.ok() && r->type == REDIS_REPLY_ERROR) return Status::Internal("XACK: " + std::string(r->str, r->len));
  return st;
}

Status EventStream::OldestPending(std::string* id) {
  id->clear();
  Status st;
  Reply p = redis_->Command({"XPENDING", keys_.log, kReconcilerGroup}, &st);
  if (!st.ok()) return st;
  if (p->type == REDIS_REPLY_ARRAY && p->elements >= 2 && p->element[0]->type == REDIS_REPLY_INTEGER &&
      p->element[0]->integer > 0 && p->element[1]->type == REDIS_REPLY_STRING)
    id->assign(p->element[1]->str, p->element[1]->len);
  return Status::Ok();
}

Status EventStream::LastDelivered(std::string* id) {
  id->clear();
  Status st;
  Reply g = redis_->Command({"XINFO", "GROUPS", keys_.log}, &st);
  if (!st.ok() || g->type != REDIS_REPLY_ARRAY) return st;
  for (size_t i = 0; i < g->elements; i++) {
    const redisReply* grp = g->element[i];
    std::string name, last;
    for (size_t j = 0; j + 1 < grp->elements; j += 2) {
      const redisReply* v = grp->element[j + 1];
      if (v->type != REDIS_REPLY_STRING) continue;
      std::string k(grp->element[j]->str, grp->element[j]->len);
      if (k == "name") name.assign(v->str, v->len);
      if (k == "last-delivered-id") last.assign(v->str, v->len);
    }
    if (name == kReconcilerGroup) *id = last;
  }
  return Status::Ok();
}

Status EventStream::Trim() {
  lua::TrimStreamReply reply;
  return lua::TrimStream(redis_, keys_, {.group_name = kReconcilerGroup}, &reply);
}

Status EventStream::Lag(int64_t now_ms, int64_t* lag_ms) {
  *lag_ms = 0;
  std::string pending, last;
  Status st = OldestPending(&pending);
  if (st.ok()) st = LastDelivered(&last);
  if (!st.ok()) return st;
  if (!pending.empty()) *lag_ms = now_ms - IdMillis(pending);
  // The oldest undelivered entry: the first one after the last delivered id.
  Reply next = redis_->Command({"XRANGE", keys_.log, "(" + (last.empty() ? "0-0" : last), "+", "COUNT", "1"}, &st);
  if (st.ok() && next->type == REDIS_REPLY_ARRAY && next->elements == 1)
    *lag_ms = std::max(*lag_ms, now_ms - IdMillis(next->element[0]->element[0]->str));
  return st;
}

Status EventStream::ReadEvent(EventRow* row) {
  Status st;
  Reply r = redis_->Command({"HMGET", keys_.meta, field::kTotal, field::kLimit, field::kWindow, field::kPrice, field::kCreatedAt,
                             field::kOpensAt, field::kClosesAt}, &st);
  if (!st.ok()) return st;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 7 || r->element[0]->type != REDIS_REPLY_STRING)
    return Status::NotFound("no event " + keys_.event);
  auto num = [&](size_t i) { return r->element[i]->type == REDIS_REPLY_STRING ? atoll(r->element[i]->str) : 0; };
  row->event = keys_.event;
  row->total = num(0);
  row->limit = num(1);
  row->window_s = num(2);
  row->price_cents = num(3);
  row->created_ms = num(4);
  row->opens_ms = num(5);
  row->closes_ms = num(6);
  return Status::Ok();
}

}  // namespace seckill
