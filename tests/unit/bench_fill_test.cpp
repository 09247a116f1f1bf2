// bench_fill_test — seckill-admin fill (admin/bench_fill.h) against a real
// redis-server: every reservation made by reserve.lua, pipelined; a refusal
// is an error naming the order. [redis]
#include <doctest/doctest.h>

#include "admin/bench_fill.h"
#include "common/keys.h"
#include "lua_protocol.h"
#include "tests/unit/redis_server.h"

using namespace seckill;

TEST_CASE("[redis] fill makes every reservation through reserve.lua, and stops at a refusal") {
  auto redis = testing::RedisServer::Get().Fresh();
  lua::CreateEventReply created;
  REQUIRE(lua::CreateEvent(redis.get(), EventKeys("b"),
                           {.total = 2500, .limit = 1, .window_s = 600, .price_cents = 0,
                            .group_name = kReconcilerGroup, .run_id = ServerRunId::kOfConnection},
                           &created)
              .ok());
  REQUIRE(FillReservations(redis.get(), "b", 2500).ok());
  Status st;
  Reply sold = redis->Command({"HGET", EventKeys("b").meta, field::kSold}, &st);
  CHECK(std::string(sold->str) == "2500");
  Reply entries = redis->Command({"XLEN", EventKeys("b").log}, &st);
  CHECK(entries->integer == 2500);
  Reply n3 = redis->Command({"HGET", EventKeys("b").Order("b-00000000000000000000000000000002"), field::kNode}, &st);
  CHECK(std::string(n3->str) == "n3");
  // The stock is gone: the next fill is refused by the script, by name.
  Status refused = FillReservations(redis.get(), "b", 1);
  CHECK(refused.code() == Status::Code::kInternal);
  CHECK(refused.message().find("b-00000000000000000000000000000001") != std::string::npos);
}
