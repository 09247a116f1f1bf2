// api_test — the HTTP contract (fcgi/api.h, docs/api.md) over the real
// reservation path: a real redis-server (redis_server.h) and a real SQLite
// node counter in a temporary folder; only the FastCGI socket is left out.
// [redis]
//   1. reserve: 201 with its fields, 409 sold out (and the flag raised), 429
//      naming the held order, 404 unknown event, 400 bad user;
//   2. the order actions: owner only (404 to anyone else), pay, cancel, 409
//      cancelling a paid order, 410 paying a cancelled one, the view;
//   3. a Redis not checked against MySQL: 503 with the reason, nothing sold;
//   4. identity: the buyer is the token's subject only (a user_id field is
//      ignored), 401 with WWW-Authenticate for no token or a bad one on every
//      buyer endpoint; /buy/ticket anonymous (its orders nobody's) or not.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/keys.h"
#include "common/token_mint.h"
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
  TokenVerifier verifier;
  TokenMinter minter;

  explicit Front(int64_t tickets, const std::string& identity = "") {
    char tmp[] = "/tmp/seckill-api-XXXXXX";
    REQUIRE(mkdtemp(tmp));
    dir = tmp;
    mkdir((dir + "/soldout").c_str(), 0755);
    flags = SoldOutFlags(dir + "/soldout");
    REQUIRE(ClusterConfig::Parse("[sale]\nbuffer_percent = 0\ndefault_event = e\n[node n1]\nweight = 1\nprocesses = 1\n"
                                 "[identity]\n" + identity, "test", &cluster).ok());
    REQUIRE(GenerateKeyPair(TokenAlg::kES256, dir + "/id.key", dir + "/id.pub", false).ok());
    REQUIRE(verifier.Load({{"local", TokenAlg::kES256, dir + "/id.pub"}}, 30).ok());
    REQUIRE(minter.Load("local", TokenAlg::kES256, dir + "/id.key").ok());
    REQUIRE(counter.Open(dir + "/n1.sqlite", 500).ok());
    reservations = std::make_unique<Reservations>(&cluster, "n1", redis.get(), &counter, &flags);
    orders = std::make_unique<Orders>(redis.get(), &flags);
    api = std::make_unique<Api>(&cluster, reservations.get(), orders.get(), redis.get(),
                                AdminSources{&metrics, &counter, StatusSources{&cluster, redis.get(), dir, dir, ""}},
                                &verifier);
    lua::CreateEventReply r;
    REQUIRE(lua::CreateEvent(redis.get(), EventKeys("e"),
                             {.total = tickets, .limit = 1, .window_s = 600, .price_cents = 0,
                              .group_name = kReconcilerGroup, .run_id = ServerRunId::kOfConnection},
                             &r)
                .ok());
  }
  ~Front() { std::system(("rm -rf '" + dir + "'").c_str()); }

  // The request as a client without a token sends it (or with `authorization` as its header).
  Response Call(const std::string& method, const std::string& path, const std::string& body = "",
                const std::string& authorization = "") {
    HttpRequest req;
    REQUIRE(ParseRequest(method, path, "application/x-www-form-urlencoded", body, &req).ok());
    req.authorization = authorization;
    return api->Handle(MatchRoute(req.method, req.path), req);
  }
  // The request as `user` sends it: signed in, with a token of its own.
  Response CallAs(const std::string& user, const std::string& method, const std::string& path, const std::string& body = "") {
    return Call(method, path, body, "Bearer " + Token(user));
  }
  std::string Token(const std::string& user, int64_t ttl = 600) {
    std::string t;
    REQUIRE(minter.Mint(user, WallMillis() / 1000, ttl, &t).ok());
    return t;
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
  Response r = f.CallAs("alice", "POST", "/api/events/e/reservations");
  REQUIRE(r.status == 201);
  auto j = Front::Json(r);
  CHECK(j["event"] == "e");
  CHECK(j["user_id"] == "alice");
  CHECK(j["node"] == "n1");
  CHECK(j["order_id"].get<std::string>().rfind("e-", 0) == 0);
  CHECK(j["expires_at"].get<double>() > 0);

  Response again = f.CallAs("alice", "POST", "/api/events/e/reservations");
  CHECK(again.status == 429);
  CHECK(Front::Json(again)["order_id"] == j["order_id"]);

  CHECK(f.CallAs("bob", "POST", "/api/events/e/reservations").status == 201);
  CHECK_FALSE(f.Flagged());
  Response sold_out = f.CallAs("carol", "POST", "/api/events/e/reservations");
  CHECK(sold_out.status == 409);
  CHECK(Front::Json(sold_out)["error"] == "sold_out");
  CHECK(f.Flagged());  // nginx answers the next ones itself

  CHECK(f.CallAs("dave", "POST", "/api/events/nope/reservations").status == 404);
  CHECK(f.CallAs("dave", "POST", "/api/events/bad%20id/reservations").status == 400);
  CHECK(f.Call("POST", "/api/events/e/reservations", "").status == 401);  // no token
}

TEST_CASE("[redis] api: only the owner acts on an order") {
  Front f(5);
  std::string id = Front::Json(f.CallAs("alice", "POST", "/api/events/e/reservations"))["order_id"];
  const std::string order = "/api/orders/" + id;
  CHECK(f.CallAs("mallory", "GET", order).status == 404);
  CHECK(f.CallAs("mallory", "POST", order + "/payment").status == 404);
  CHECK(f.CallAs("mallory", "POST", order + "/cancellation").status == 404);
  Response view = f.CallAs("alice", "GET", order);
  REQUIRE(view.status == 200);
  CHECK(Front::Json(view)["status"] == "reserved");

  SUBCASE("paid, then no cancellation") {
    CHECK(f.CallAs("alice", "POST", order + "/payment").status == 200);
    CHECK(f.CallAs("alice", "POST", order + "/payment").status == 200);
    CHECK(f.CallAs("alice", "POST", order + "/cancellation").status == 409);
    CHECK(Front::Json(f.CallAs("alice", "GET", order))["status"] == "paid");
  }
  SUBCASE("cancelled, then no payment; the ticket is back at once") {
    CHECK(f.CallAs("alice", "POST", order + "/cancellation").status == 200);
    CHECK(f.CallAs("alice", "POST", order + "/payment").status == 410);
    CHECK(Front::Json(f.Call("GET", "/api/events/e"))["sold"] == 0);
    CHECK(f.CallAs("alice", "POST", "/api/events/e/reservations").status == 201);
  }
}

TEST_CASE("[redis] api: a Redis not checked against MySQL answers 503 and sells nothing") {
  Front f(5);
  Status st;
  f.redis->Command({"HSET", EventKeys("e").meta, field::kVerifiedRun, "another-run"}, &st);
  REQUIRE(st.ok());
  Response r = f.CallAs("alice", "POST", "/api/events/e/reservations");
  CHECK(r.status == 503);
  CHECK(Front::Json(r)["message"].get<std::string>().find("paused") != std::string::npos);
  CHECK(Front::Json(f.Call("GET", "/api/events/e"))["sold"] == 0);
}

TEST_CASE("[redis] api: the buyer is the token's subject; a user_id field is ignored") {
  Front f(5);
  // alice's token, and a user_id naming bob: the order is alice's.
  Response r = f.CallAs("alice", "POST", "/api/events/e/reservations", "user_id=bob");
  REQUIRE(r.status == 201);
  CHECK(Front::Json(r)["user_id"] == "alice");
  const std::string order = "/api/orders/" + Front::Json(r)["order_id"].get<std::string>();
  CHECK(f.CallAs("bob", "GET", order).status == 404);
  CHECK(f.CallAs("bob", "GET", order + "?user_id=alice").status == 404);
  CHECK(f.CallAs("bob", "POST", order + "/cancellation", "user_id=alice").status == 404);
  CHECK(f.CallAs("alice", "GET", order + "?user_id=bob").status == 200);
  // The 429 names the held order to its owner.
  Response again = f.CallAs("alice", "POST", "/api/events/e/reservations");
  CHECK(again.status == 429);
  CHECK(Front::Json(again)["order_id"] == Front::Json(r)["order_id"]);
  CHECK(f.CallAs("bob", "POST", "/api/events/e/reservations", "user_id=alice").status == 201);
}

TEST_CASE("[redis] api: every buyer endpoint answers 401 without a valid token") {
  Front f(5);
  std::string id = Front::Json(f.CallAs("alice", "POST", "/api/events/e/reservations"))["order_id"];
  const std::string order = "/api/orders/" + id;
  std::string good = f.Token("alice");
  std::string expired = [&] {
    std::string t;
    REQUIRE(f.minter.Mint("alice", WallMillis() / 1000 - 7200, 600, &t).ok());
    return t;
  }();
  struct Case {
    const char* name;
    std::string header;
    const char* www;
  };
  const std::string invalid = "Bearer realm=\"seckill\", error=\"invalid_token\"";
  for (const Case& c : std::vector<Case>{
           {"no header", "", "Bearer realm=\"seckill\""},
           {"a user_id only", "", "Bearer realm=\"seckill\""},
           {"another scheme", "Basic YWxpY2U6eA==", "Bearer realm=\"seckill\""},
           {"truncated", "Bearer " + good.substr(0, good.size() - 20), invalid.c_str()},
           {"expired", "Bearer " + expired, invalid.c_str()},
           {"garbage", "Bearer x.y.z", invalid.c_str()},
       }) {
    CAPTURE(c.name);
    for (auto [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"POST", "/api/events/e/reservations"}, {"GET", order}, {"POST", order + "/payment"},
             {"POST", order + "/cancellation"}}) {
      CAPTURE(path);
      Response r = f.Call(method, path, "user_id=alice", c.header);
      CHECK(r.status == 401);
      CHECK(Front::Json(r)["error"] == "unauthorized");
      CHECK(r.www_authenticate == c.www);
      CHECK(r.Serialize("n1").find("\r\nWWW-Authenticate: Bearer") != std::string::npos);
    }
  }
  CHECK(Front::Json(f.Call("GET", "/api/events/e"))["sold"] == 1);  // the event's view needs no token
  CHECK(Front::Json(f.CallAs("alice", "GET", order))["status"] == "reserved");  // nothing was done
}

TEST_CASE("[redis] api: /buy/ticket, anonymous or signed in") {
  SUBCASE("anonymous (the local stack): a made-up user each time, its orders nobody's") {
    Front f(5, "anonymous_buy_ticket = on\n");
    Response a = f.Call("POST", "/buy/ticket", "user_id=alice");
    REQUIRE(a.status == 200);
    auto j = Front::Json(a);
    CHECK(j["code"] == 1);
    CHECK(j["user_id"].get<std::string>().rfind("anon-", 0) == 0);  // not alice
    Response b = f.Call("GET", "/buy/ticket", "", "Bearer " + f.Token("alice"));
    CHECK(Front::Json(b)["user_id"] != j["user_id"]);
    CHECK(Front::Json(b)["user_id"].get<std::string>().rfind("anon-", 0) == 0);
    // No token can name an anonymous user: its order cannot be seen, paid or cancelled.
    const std::string order = "/api/orders/" + j["order_id"].get<std::string>();
    std::string anon_token;
    REQUIRE(f.minter.Mint(j["user_id"], WallMillis() / 1000, 600, &anon_token).ok());
    CHECK(f.Call("GET", order, "", "Bearer " + anon_token).status == 401);
    CHECK(f.Call("POST", order + "/cancellation", "", "Bearer " + anon_token).status == 401);
    CHECK(f.CallAs("alice", "POST", order + "/payment").status == 404);
  }
  SUBCASE("off (deploy): a token is needed, the order is the subject's") {
    Front f(5, "anonymous_buy_ticket = off\n");
    CHECK(f.Call("POST", "/buy/ticket").status == 401);
    Response r = f.CallAs("alice", "POST", "/buy/ticket");
    REQUIRE(r.status == 200);
    CHECK(Front::Json(r)["user_id"] == "alice");
    CHECK(f.CallAs("alice", "GET", "/api/orders/" + Front::Json(r)["order_id"].get<std::string>()).status == 200);
  }
}
