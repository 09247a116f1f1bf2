#include "common/redis_time.h"

#include <cstdlib>

namespace seckill {

Status RedisNowMillis(RedisClient* redis, int64_t* now_ms) {
  Status st;
  Reply r = redis->Command({"TIME"}, &st);
  if (!st.ok()) return st;
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) return Status::Internal("TIME: unexpected reply");
  *now_ms = atoll(r->element[0]->str) * 1000 + atoll(r->element[1]->str) / 1000;
  return Status::Ok();
}

}  // namespace seckill
