// redis_client_test — common/redis_client.h against a real redis-server
// (redis_server.h). [redis]
//   1. commands and pipelines, replies in order;
//   2. Eval loads a script on first use and again after SCRIPT FLUSH
//      (NOSCRIPT), running it exactly once;
//   2b. the build's SHA1 of every script is the one Redis gives it, and
//      LoadScripts loads only what Redis lacks;
//   2c. a kPreloaded client (the worker) loads nothing: NOSCRIPT is
//      Unavailable, the script did not run, and it runs once the operator
//      side has loaded the scripts;
//   3. the ServerRunId argument is the run_id of the server reached, also
//      after a restart (a new process, a new run_id, a reconnect);
//   4. an unreachable server is Unavailable, not a crash.
#include <doctest/doctest.h>

#include "common/keys.h"
#include "lua_protocol.h"
#include "tests/unit/redis_server.h"

using namespace seckill;
using testing::RedisServer;

namespace {

std::string InfoRunId(RedisClient* c) {
  Status st;
  Reply r = c->Command({"INFO", "server"}, &st);
  REQUIRE(st.ok());
  std::string text(r->str, r->len);
  size_t at = text.find("run_id:");
  REQUIRE(at != std::string::npos);
  return text.substr(at + 7, 40);
}

// Creates event "e" (create_event.lua carries the run_id) and reserves.
lua::ReserveReply CreateAndReserve(RedisClient* c, const std::string& order) {
  lua::CreateEventReply created;
  REQUIRE(lua::CreateEvent(c, EventKeys("e"),
                           {.total = 10, .limit = 5, .window_s = 60, .price_cents = 0, .group_name = kReconcilerGroup,
                            .run_id = ServerRunId::kOfConnection},
                           &created)
              .ok());
  lua::ReserveReply r;
  Status st = lua::Reserve(c, EventKeys("e"), {.user = "u", .order_id = order, .node = "n1", .run_id = ServerRunId::kOfConnection}, &r);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return r;
}

}  // namespace

TEST_CASE("[redis] commands and a pipeline answer in order") {
  auto c = RedisServer::Get().Fresh();
  Status st;
  Reply r = c->Command({"SET", "k", "v"}, &st);
  REQUIRE(st.ok());
  std::vector<Reply> rs = c->Pipeline({{"INCR", "n"}, {"INCR", "n"}, {"GET", "k"}}, &st);
  REQUIRE(st.ok());
  REQUIRE(rs.size() == 3);
  CHECK(rs[0]->integer == 1);
  CHECK(rs[1]->integer == 2);
  CHECK(std::string(rs[2]->str) == "v");
}

TEST_CASE("[redis] a script is loaded again after SCRIPT FLUSH and runs once") {
  auto c = RedisServer::Get().Fresh();
  REQUIRE(CreateAndReserve(c.get(), "o1").code == lua::ReserveReply::Code::kReserved);
  Status st;
  c->Command({"SCRIPT", "FLUSH"}, &st);
  REQUIRE(st.ok());
  lua::ReserveReply r;
  REQUIRE(lua::Reserve(c.get(), EventKeys("e"), {.user = "u", .order_id = "o2", .node = "n1", .run_id = ServerRunId::kOfConnection}, &r).ok());
  CHECK(r.code == lua::ReserveReply::Code::kReserved);
  Reply sold = c->Command({"HGET", EventKeys("e").meta, field::kSold}, &st);
  CHECK(std::string(sold->str) == "2");  // the NOSCRIPT retry did not run it twice
}

TEST_CASE("[redis] the build's SHA1s are Redis's, and LoadScripts loads only what is missing") {
  auto c = RedisServer::Get().Fresh();
  Status st;
  c->Command({"SCRIPT", "FLUSH"}, &st);
  REQUIRE(st.ok());
  size_t loaded = 0;
  st = c->LoadScripts(&loaded);
  REQUIRE_MESSAGE(st.ok(), st.message());  // Internal if Redis named a script otherwise
  CHECK(loaded == kLuaScriptCount);
  for (size_t i = 0; i < kLuaScriptCount; i++) {
    Reply r = c->Command({"SCRIPT", "LOAD", kLuaScripts[i].source}, &st);
    REQUIRE(st.ok());
    CHECK(std::string(r->str, r->len) == kLuaScripts[i].sha1);
  }
  c->Command({"SCRIPT", "FLUSH"}, &st);
  REQUIRE(CreateAndReserve(c.get(), "o1").code == lua::ReserveReply::Code::kReserved);  // loads two
  REQUIRE(c->LoadScripts(&loaded).ok());
  CHECK(loaded == kLuaScriptCount - 2);
  REQUIRE(c->LoadScripts(&loaded).ok());
  CHECK(loaded == 0);
}

TEST_CASE("[redis] a preloaded client loads nothing: NOSCRIPT is Unavailable until the scripts are loaded") {
  auto c = RedisServer::Get().Fresh();
  REQUIRE(CreateAndReserve(c.get(), "o1").code == lua::ReserveReply::Code::kReserved);
  Status st;
  c->Command({"SCRIPT", "FLUSH"}, &st);
  REQUIRE(st.ok());
  RedisClient worker(RedisServer::Get().address(), 2000, ScriptLoading::kPreloaded);
  lua::ReserveReply r;
  auto reserve = [&](const std::string& order) {
    return lua::Reserve(&worker, EventKeys("e"), {.user = "u" + order, .order_id = order, .node = "n1",
                                                  .run_id = ServerRunId::kOfConnection}, &r);
  };
  st = reserve("o2");
  CHECK(st.code() == Status::Code::kUnavailable);
  CHECK(st.message().find("NOSCRIPT") != std::string::npos);
  Reply exists = c->Command({"SCRIPT", "EXISTS", kLuaScripts[0].sha1}, &st);
  CHECK(exists->element[0]->integer == 0);  // it loaded nothing
  Reply sold = c->Command({"HGET", EventKeys("e").meta, field::kSold}, &st);
  CHECK(std::string(sold->str) == "1");  // and reserved nothing
  size_t loaded = 0;
  REQUIRE(c->LoadScripts(&loaded).ok());
  REQUIRE(reserve("o3").ok());
  CHECK(r.code == lua::ReserveReply::Code::kReserved);
}

TEST_CASE("[redis] the run_id argument is the reached server's, after a restart too") {
  auto c = RedisServer::Get().Fresh();
  REQUIRE(CreateAndReserve(c.get(), "o1").code == lua::ReserveReply::Code::kReserved);
  const std::string before = c->run_id();
  CHECK(before == InfoRunId(c.get()));
  RedisServer::Get().Restart();
  // The first command after the restart reconnects (the old connection was closed).
  REQUIRE(CreateAndReserve(c.get(), "o1").code == lua::ReserveReply::Code::kReserved);
  CHECK(c->run_id() != before);
  CHECK(c->run_id() == InfoRunId(c.get()));
}

TEST_CASE("an unreachable Redis is Unavailable") {
  RedisAddress a;
  a.unix_path = "/nonexistent/redis.sock";
  RedisClient c(a, 200);
  Status st;
  Reply r = c.Command({"PING"}, &st);
  CHECK(r == nullptr);
  CHECK(st.code() == Status::Code::kUnavailable);
  lua::LookReply look;
  CHECK(lua::Look(&c, EventKeys("e"), {.order_id = "o", .user = "u"}, &look).code() == Status::Code::kUnavailable);
  CHECK(c.errors() >= 2);
}
