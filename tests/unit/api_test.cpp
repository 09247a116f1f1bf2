// api_test — the HTTP contract (fcgi/api.h, docs/api.md) over the real
// reservation path: a real redis-server (redis_server.h) and a real SQLite
// node counter in a temporary folder; only the FastCGI socket is left out.
// [redis]
//   1. reserve: 201 with its fields, 409 sold out (and the flag raised), 429
//      naming the held order, 404 unknown event, 400 bad user;
//   2. the order actions: owner only (404 to anyone else), pay, cancel, 409
//      cancelling a paid order, 410 paying a cancelled one, the view;
//   3. a Redis not checked against MySQL: 503 with the reason, nothing sold.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "common/keys.h"
#include "fcgi/api.h"
#include "lua_protocol.h"
#include "tests/unit/redis_server.h"

using namespace seckill;
using testing::RedisServer;

namespace {

struct Front {
  std::unique_ptr<RedisClient> redis = RedisServer::Get().Fresh();
  std::string dir;
  ClusterConfig cluster;
  NodeCounter counter;
  SoldOutFlags flags{""};
  Metrics metrics;  // never opened: counts nothing
  std::unique_ptr<Reservations> reservations;
  std::unique_ptr<Orders> orders;
  std::unique_ptr<Api> api;

  explicit Front(int64_t tickets) {
    char tmp[] = "/tmp/seckill-api-XXXXXX";
    REQUIRE(mkdtemp(tmp));
    dir = tmp;
    mkdir((dir + "/soldout").c_str(), 0755);
    flags = SoldOutFlags(dir + "/soldout");
    REQUIRE(ClusterConfig::Parse("[sale]\nbuffer_percent = 0\n[node n1]\nweight = 1\nprocesses = 1\n", "test", &cluster).ok());
    REQUIRE(counter.Open(dir + "/n1.sqlite", 500).ok());
    reservations = std::make_unique<Reservations>(&cluster, "n1", redis.get(), &counter, &flags);
    orders = std::make_unique<Orders>(redis.get(), &flags);
    api = std::make_unique<Api>(&cluster, reservations.get(), orders.get(), redis.get(),
                                AdminSources{&metrics, &counter, StatusSources{&cluster, redis.get(), dir, dir, ""}});
    lua::CreateEventReply r;
    REQUIRE(lua::CreateEvent(redis.get(), EventKeys("e"),
                             {.total = tickets, .limit = 1, .window_s = 600, .price_cents = 0,
                              .group_name = kReconcilerGroup, .run_id = ServerRunId::kOfConnection},
                             &r)
                .ok());
  }
  ~Front() { std::system(("rm -rf '" + dir + "'").c_str()); }

  Response Call(const std::string& method, const std::string& path, const std::string& body = "") {
    HttpRequest req;
    REQUIRE(ParseRequest(method, path, "application/x-www-form-urlencoded", body, &req).ok());
    return api->Handle(MatchRoute(req.method, req.path), req);
  }
  static nlohmann::json Json(const Response& r) { return nlohmann::json::parse(r.body); }
  bool Flagged() {
    struct stat st;
    return stat((dir + "/soldout/e").c_str(), &st) == 0;
  }
};

}  // namespace

TEST_CASE("[redis] api: reserve answers 201, 409, 429, 404 and 400") {
  Front f(2);
  Response r = f.Call("POST", "/api/events/e/reservations", "user_id=alice");
  REQUIRE(r.status == 201);
  auto j = Front::Json(r);
  CHECK(j["event"] == "e");
  CHECK(j["user_id"] == "alice");
  CHECK(j["node"] == "n1");
  CHECK(j["order_id"].get<std::string>().rfind("e-", 0) == 0);
  CHECK(j["expires_at"].get<double>() > 0);

  Response again = f.Call("POST", "/api/events/e/reservations", "user_id=alice");
  CHECK(again.status == 429);
  CHECK(Front::Json(again)["order_id"] == j["order_id"]);

  CHECK(f.Call("POST", "/api/events/e/reservations", "user_id=bob").status == 201);
  CHECK_FALSE(f.Flagged());
  Response sold_out = f.Call("POST", "/api/events/e/reservations", "user_id=carol");
  CHECK(sold_out.status == 409);
  CHECK(Front::Json(sold_out)["error"] == "sold_out");
  CHECK(f.Flagged());  // nginx answers the next ones itself

  CHECK(f.Call("POST", "/api/events/nope/reservations", "user_id=dave").status == 404);
  CHECK(f.Call("POST", "/api/events/e/reservations", "user_id=bad%20id").status == 400);
  CHECK(f.Call("POST", "/api/events/e/reservations", "").status == 400);
}

TEST_CASE("[redis] api: only the owner acts on an order") {
  Front f(5);
  std::string id = Front::Json(f.Call("POST", "/api/events/e/reservations", "user_id=alice"))["order_id"];
  const std::string order = "/api/orders/" + id;
  CHECK(f.Call("GET", order + "?user_id=mallory").status == 404);
  CHECK(f.Call("POST", order + "/payment", "user_id=mallory").status == 404);
  CHECK(f.Call("POST", order + "/cancellation", "user_id=mallory").status == 404);
  Response view = f.Call("GET", order + "?user_id=alice");
  REQUIRE(view.status == 200);
  CHECK(Front::Json(view)["status"] == "reserved");

  SUBCASE("paid, then no cancellation") {
    CHECK(f.Call("POST", order + "/payment", "user_id=alice").status == 200);
    CHECK(f.Call("POST", order + "/payment", "user_id=alice").status == 200);
    CHECK(f.Call("POST", order + "/cancellation", "user_id=alice").status == 409);
    CHECK(Front::Json(f.Call("GET", order + "?user_id=alice"))["status"] == "paid");
  }
  SUBCASE("cancelled, then no payment; the ticket is back at once") {
    CHECK(f.Call("POST", order + "/cancellation", "user_id=alice").status == 200);
    CHECK(f.Call("POST", order + "/payment", "user_id=alice").status == 410);
    CHECK(Front::Json(f.Call("GET", "/api/events/e"))["sold"] == 0);
    CHECK(f.Call("POST", "/api/events/e/reservations", "user_id=alice").status == 201);
  }
}

TEST_CASE("[redis] api: a Redis not checked against MySQL answers 503 and sells nothing") {
  Front f(5);
  Status st;
  f.redis->Command({"HSET", EventKeys("e").meta, field::kVerifiedRun, "another-run"}, &st);
  REQUIRE(st.ok());
  Response r = f.Call("POST", "/api/events/e/reservations", "user_id=alice");
  CHECK(r.status == 503);
  CHECK(Front::Json(r)["message"].get<std::string>().find("paused") != std::string::npos);
  CHECK(Front::Json(f.Call("GET", "/api/events/e"))["sold"] == 0);
}
