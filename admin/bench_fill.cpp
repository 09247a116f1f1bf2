#include "admin/bench_fill.h"

#include <cstdio>
#include <vector>

#include "common/keys.h"
#include "lua_protocol.h"

namespace seckill {

Status FillReservations(RedisClient* redis, const std::string& event, int64_t count) {
  constexpr int64_t kPerRoundTrip = 1000;
  const EventKeys keys(event);
  for (int64_t first = 1; first <= count; first += kPerRoundTrip) {
    std::vector<ScriptCall> calls;
    std::vector<std::string> ids;
    for (int64_t i = first; i <= count && i < first + kPerRoundTrip; i++) {
      char id[33];
      snprintf(id, sizeof id, "%032llx", static_cast<unsigned long long>(i));
      ids.push_back(event + "-" + id);
      calls.push_back(lua::ReserveCall(keys, {.user = "f" + std::to_string(i), .order_id = ids.back(),
                                              .node = "n" + std::to_string(i % 4 + 1),
                                              .run_id = ServerRunId::kOfConnection}));
    }
    Status st;
    std::vector<Reply> replies = redis->EvalPipeline(std::move(calls), &st);
    if (!st.ok()) return st;
    for (size_t k = 0; k < replies.size(); k++) {
      lua::ReserveReply reply;
      st = lua::DecodeReserve(replies[k].get(), &reply);
      if (!st.ok()) return st;
      if (reply.code != lua::ReserveReply::Code::kReserved)
        return Status::Internal("reservation " + ids[k] + " refused (reserve.lua code " +
                                std::to_string(static_cast<int>(reply.code)) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace seckill
