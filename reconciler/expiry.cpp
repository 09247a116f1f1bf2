#include "reconciler/expiry.h"

#include <string>
#include <vector>

#include "lua_protocol.h"
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
    lua::ExpireArgs args{.run_id = ServerRunId::kOfConnection, .orders = {}};
    for (size_t i = 0; i < ids->elements; i++) args.orders.push_back({.order_id = std::string(ids->element[i]->str, ids->element[i]->len)});
    lua::ExpireReply reply;
    st = lua::Expire(redis, keys, args, &reply);
    if (!st.ok()) return st;
    // Redis restarted since the pass saw the event verified: the next pass
    // checks it again (repair.h) before anything is released.
    if (reply.code == lua::ExpireReply::Code::kNotVerified) return Status::Unavailable(kUnverifiedRedis);
    done += reply.released;
    *released += reply.released;
    // Every candidate left the index (released, or stale and removed), so
    // the loop advances; stop when a partial batch shows the index drained.
    if (ids->elements < batch) return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace seckill
