#include "admin/event_admin.h"

#include <unistd.h>

#include <cstdlib>

#include "common/ids.h"
#include "common/keys.h"
#include "common/node_counter.h"
#include "lua_protocol.h"

namespace seckill {

Status ValidateEventSpec(const EventSpec& s) {
  if (!IsValidId(s.id)) return Status::Invalid(std::string("event id must be ") + kIdRule);
  if (s.tickets <= 0 || s.tickets > 1000000000) return Status::Invalid("tickets must be between 1 and 1e9");
  if (s.limit <= 0 || s.limit > 1000) return Status::Invalid("limit must be between 1 and 1000");
  if (s.window_s <= 0 || s.window_s > 86400 * 7) return Status::Invalid("window must be between 1 s and 7 days");
  if (s.price_cents < 0) return Status::Invalid("price must not be negative");
  return Status::Ok();
}

Status CreateEvent(RedisClient* redis, const EventSpec& s, int64_t* created_at_ms) {
  Status st = ValidateEventSpec(s);
  if (!st.ok()) return st;
  EventKeys keys(s.id);
  lua::CreateEventReply reply;
  st = lua::CreateEvent(redis, keys,
                        {.total = s.tickets, .limit = s.limit, .window_s = s.window_s, .price_cents = s.price_cents,
                         .group_name = kReconcilerGroup, .run_id = ServerRunId::kOfConnection},
                        &reply);
  if (!st.ok()) return st;
  // Listed for the reconciler in any case: a run that created the event but
  // failed before this SADD is repaired by running the command again.
  redis->Command({"SADD", kEventsSetKey, s.id}, &st);
  if (!st.ok()) return st;
  if (reply.code == lua::CreateEventReply::Code::kExists) return Status::Invalid("event '" + s.id + "' exists already");
  if (!created_at_ms) return Status::Ok();
  Reply r = redis->Command({"HGET", keys.meta, field::kCreatedAt}, &st);
  if (!st.ok()) return st;
  *created_at_ms = r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
  return Status::Ok();
}

Status PreloadNodeCounters(const ClusterConfig& cluster, const std::string& sqlite_dir, const EventSpec& s,
                           int64_t generation) {
  for (const auto& node : cluster.nodes) {
    std::string path = sqlite_dir + "/" + node.name + ".sqlite";
    if (access(path.c_str(), F_OK) != 0) continue;
    NodeCounter counter;
    Status st = counter.Open(path, 2000);
    if (st.ok()) st = counter.Ensure(s.id, cluster.Allotment(node.name, s.tickets), generation);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace seckill
