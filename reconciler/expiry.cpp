#include "reconciler/expiry.h"

#include <string>
#include <vector>

#include "reconciler/event_stream.h"

namespace seckill {

Status ReleaseExpired(RedisClient* redis, const EventKeys& keys, size_t batch, int64_t max_total, int64_t* released) {
  int64_t done = 0;
  while (done < max_total) {
    int64_t now = 0;
    Status st = RedisNowMillis(redis, &now);
    if (!st.ok()) return st;
    Reply ids = redis->Command({"ZRANGEBYSCORE", keys.expiry, "-inf", std::to_string(now), "LIMIT", "0",
                                std::to_string(batch)}, &st);
    if (!st.ok()) return st;
    if (ids->type != REDIS_REPLY_ARRAY || ids->elements == 0) return Status::Ok();
    std::vector<std::string> k = {keys.meta, keys.users, keys.expiry, keys.log}, a;
    for (size_t i = 0; i < ids->elements; i++) {
      std::string oid(ids->element[i]->str, ids->element[i]->len);
      k.push_back(keys.Order(oid));
      a.push_back(std::move(oid));
    }
    Reply r = redis->ScriptWithRunId("expire", k, a, &st);
    if (!st.ok()) return st;
    if (r->type != REDIS_REPLY_INTEGER) {
      return Status::Internal("expire.lua: " + (r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "unexpected reply"));
    }
    // Redis restarted since the pass saw the event verified: the next pass
    // checks it again (repair.h) before anything is released.
    if (r->integer < 0) return Status::Unavailable(kUnverifiedRedis);
    done += r->integer;
    *released += r->integer;
    // Every candidate left the index (released, or stale and removed), so
    // the loop advances; stop when a partial batch shows the index drained.
    if (ids->elements < batch) return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace seckill
