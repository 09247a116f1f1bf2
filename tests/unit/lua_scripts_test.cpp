// lua_scripts_test — every Lua script of lua/ by direct EVALSHA against a
// real redis-server (redis_server.h), through the generated typed calls
// (build/gen/lua_protocol.h). [redis]
//   1. the lifecycle: every row of kTransitions (common/order_status.h) is
//      performed by its script: the order ends in the row's state, and a
//      stream entry of that state is appended exactly when the row says so;
//      a row without a test here fails the suite;
//   2. every refusal: not verified, wrong owner, wrong state, no such event,
//      sold out, limit reached, each changing nothing;
//   3. the clock: expiry is judged by Redis's TIME (look, pay, expire);
//   4. the counts a release keeps: sold, returned:<node>, expired/cancelled;
//   5. the bounds: the per-user cap of cancellations, the TTLs retire gives
//      (paid longer than released), and the generation reserve tells.
//   6. the opening time: reserve refuses before opens_at and from closes_at,
//      by Redis's clock, changing nothing; create_event and rebuild_event
//      write both times.
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <string>

#include "common/keys.h"
#include "common/order_status.h"
#include "lua_protocol.h"
#include "tests/unit/redis_server.h"

using namespace seckill;
using testing::RedisServer;

namespace {

// One event "e" on an empty Redis, with helpers to drive its orders.
struct Sale {
  std::unique_ptr<RedisClient> redis = RedisServer::Get().Fresh();
  EventKeys keys{"e"};

  explicit Sale(int64_t total = 10, int64_t limit = 1, int64_t window_s = 600) {
    lua::CreateEventReply r;
    Status st = lua::CreateEvent(redis.get(), keys,
                                 {.total = total, .limit = limit, .window_s = window_s, .price_cents = 100,
                                  .group_name = kReconcilerGroup, .run_id = ServerRunId::kOfConnection},
                                 &r);
    REQUIRE_MESSAGE(st.ok(), st.message());
    REQUIRE(r.code == lua::CreateEventReply::Code::kCreated);
  }

  std::string Cmd(std::vector<std::string> argv) {
    Status st;
    Reply r = redis->Command(argv, &st);
    REQUIRE_MESSAGE(st.ok(), st.message());
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) return std::string(r->str, r->len);
    if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
    return "";
  }
  int64_t Num(std::vector<std::string> argv) { return atoll(Cmd(std::move(argv)).c_str()); }

  lua::ReserveReply Reserve(const std::string& user, const std::string& order_id) {
    lua::ReserveReply r;
    Status st = lua::Reserve(redis.get(), keys,
                             {.user = user, .order_id = order_id, .node = "n1", .run_id = ServerRunId::kOfConnection}, &r);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return r;
  }
  // A reserved order "o1" of user "u1".
  void Reserved() { REQUIRE(Reserve("u1", "o1").code == lua::ReserveReply::Code::kReserved); }
  lua::PayReply Pay(const std::string& order_id, const std::string& user = "u1") {
    lua::PayReply r;
    Status st = lua::Pay(redis.get(), keys, {.order_id = order_id, .user = user, .run_id = ServerRunId::kOfConnection}, &r);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return r;
  }
  lua::CancelReply Cancel(const std::string& order_id, const std::string& user = "u1") {
    lua::CancelReply r;
    Status st = lua::Cancel(redis.get(), keys, {.order_id = order_id, .user = user, .run_id = ServerRunId::kOfConnection}, &r);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return r;
  }
  lua::ExpireReply Expire(const std::string& order_id) {
    lua::ExpireReply r;
    Status st = lua::Expire(redis.get(), keys, {.run_id = ServerRunId::kOfConnection, .orders = {{.order_id = order_id}}}, &r);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return r;
  }
  lua::RepairOrdersReply Repair(const std::string& order_id, OrderStatus status, const std::string& user = "u1") {
    lua::RepairOrdersReply r;
    int64_t now = Now();
    Status st = lua::RepairOrders(redis.get(), keys,
                                  {.orders = {{.order_id = order_id, .user = user, .node = "n1",
                                               .status = OrderStatusName(status), .reserved_at_ms = now - 1000,
                                               .expires_at_ms = now + 600000,
                                               .closed_at_ms = status == OrderStatus::kReserved ? 0 : now}}},
                                  &r);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return r;
  }
  lua::RebuildOrdersReply Rebuild(const std::string& order_id, OrderStatus status) {
    lua::RebuildOrdersReply r;
    int64_t now = Now();
    Status st = lua::RebuildOrders(
        redis.get(), keys,
        {.hold = 1,
         .orders = {{.order_id = order_id, .user = "u1", .node = "n1", .status = OrderStatusName(status),
                     .reserved_at_ms = now - 1000, .expires_at_ms = now + 600000,
                     .paid_at_ms = status == OrderStatus::kPaid ? now : 0,
                     .expired_at_ms = status == OrderStatus::kExpired ? now : 0,
                     .cancelled_at_ms = status == OrderStatus::kCancelled ? now : 0}}},
        &r);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return r;
  }
  lua::RetireReply Retire(const std::string& order_id) {
    lua::RetireReply r;
    Status st = lua::Retire(redis.get(), keys, {.ttl_s = 100, .released_ttl_s = 100, .orders = {{.order_id = order_id}}}, &r);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return r;
  }
  lua::LookReply Look(const std::string& order_id, const std::string& user = "u1") {
    lua::LookReply r;
    Status st = lua::Look(redis.get(), keys, {.order_id = order_id, .user = user}, &r);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return r;
  }

  // Redis's clock, ms.
  int64_t Now() {
    Status st;
    Reply r = redis->Command({"TIME"}, &st);
    REQUIRE(st.ok());
    return atoll(r->element[0]->str) * 1000 + atoll(r->element[1]->str) / 1000;
  }
  // Moves order's payment window into the past, by Redis's clock (set-up only).
  void PastWindow(const std::string& order_id) {
    std::string at = std::to_string(Now() - 1);
    Cmd({"HSET", keys.Order(order_id), field::kExpiresAt, at});
    Cmd({"ZADD", keys.expiry, at, order_id});
  }
  std::string StatusOf(const std::string& order_id) { return Cmd({"HGET", keys.Order(order_id), field::kStatus}); }
  int64_t Entries() { return Num({"XLEN", keys.log}); }
  std::string LastEntryType() {
    Status st;
    Reply r = redis->Command({"XREVRANGE", keys.log, "+", "-", "COUNT", "1"}, &st);
    REQUIRE(st.ok());
    REQUIRE(r->elements == 1);
    const redisReply* f = r->element[0]->element[1];
    for (size_t i = 0; i + 1 < f->elements; i += 2)
      if (std::string(f->element[i]->str) == field::kEntryType) return f->element[i + 1]->str;
    return "";
  }
  int64_t Meta(const std::string& f) { return Num({"HGET", keys.meta, f}); }
  // Breaks the restart gate: the event was verified for another process.
  void Unverified() { Cmd({"HSET", keys.meta, field::kVerifiedRun, "another-run"}); }
};

using Setup = std::function<void(Sale&)>;

// How each row of kTransitions is performed: the set-up of its `from` state,
// then the script call. Keyed by script, from (or "none") and to.
std::string RowKey(const Transition& t) {
  return std::string(t.script) + ":" + (t.from_none ? "none" : OrderStatusName(t.from)) + ">" + OrderStatusName(t.to);
}

std::map<std::string, Setup> Performers() {
  using S = OrderStatus;
  std::map<std::string, Setup> m;
  m["reserve:none>reserved"] = [](Sale& s) { s.Reserved(); };
  m["pay:reserved>paid"] = [](Sale& s) {
    s.Reserved();
    CHECK(s.Pay("o1").code == lua::PayReply::Code::kPaid);
  };
  m["pay:reserved>expired"] = [](Sale& s) {
    s.Reserved();
    s.PastWindow("o1");
    auto r = s.Pay("o1");
    CHECK(r.code == lua::PayReply::Code::kGone);
    CHECK(r.released == 1);
    CHECK(r.status == "expired");
  };
  m["cancel:reserved>cancelled"] = [](Sale& s) {
    s.Reserved();
    auto r = s.Cancel("o1");
    CHECK(r.code == lua::CancelReply::Code::kCancelled);
    CHECK(r.released == 1);
  };
  m["cancel:reserved>expired"] = [](Sale& s) {
    s.Reserved();
    s.PastWindow("o1");
    auto r = s.Cancel("o1");
    CHECK(r.code == lua::CancelReply::Code::kGone);
    CHECK(r.released == 1);
  };
  m["expire:reserved>expired"] = [](Sale& s) {
    s.Reserved();
    s.PastWindow("o1");
    auto r = s.Expire("o1");
    CHECK(r.code == lua::ExpireReply::Code::kDone);
    CHECK(r.released == 1);
  };
  for (S to : {S::kReserved, S::kPaid}) {
    m[std::string("repair_orders:none>") + OrderStatusName(to)] = [to](Sale& s) {
      auto r = s.Repair("o1", to);
      CHECK(r.restored == 1);
      CHECK(s.Meta(field::kSold) == 1);
      CHECK(s.Cmd({"HGET", s.keys.users, "u1"}) == "o1");
    };
  }
  for (S to : {S::kPaid, S::kCancelled, S::kExpired}) {
    m[std::string("repair_orders:reserved>") + OrderStatusName(to)] = [to](Sale& s) {
      s.Reserved();
      auto r = s.Repair("o1", to);
      CHECK(r.changed == 1);
      CHECK(s.Meta(field::kSold) == (to == S::kPaid ? 1 : 0));
    };
  }
  for (S to : {S::kReserved, S::kPaid, S::kExpired, S::kCancelled}) {
    m[std::string("rebuild_orders:none>") + OrderStatusName(to)] = [to](Sale& s) {
      CHECK(s.Rebuild("o1", to).written == 1);
      bool held = to == S::kReserved || to == S::kPaid;
      CHECK(s.Cmd({"HGET", s.keys.users, "u1"}) == (held ? "o1" : ""));
      CHECK((s.Num({"ZSCORE", s.keys.expiry, "o1"}) > 0) == (to == S::kReserved));
    };
  }
  m["retire:paid>retired"] = [](Sale& s) {
    s.Reserved();
    REQUIRE(s.Pay("o1").code == lua::PayReply::Code::kPaid);
    int64_t entries = s.Entries();
    CHECK(s.Retire("o1").retired == 1);
    CHECK(s.Entries() == entries);
  };
  m["retire:expired>retired"] = [](Sale& s) {
    s.Reserved();
    s.PastWindow("o1");
    REQUIRE(s.Expire("o1").released == 1);
    CHECK(s.Retire("o1").retired == 1);
  };
  m["retire:cancelled>retired"] = [](Sale& s) {
    s.Reserved();
    REQUIRE(s.Cancel("o1").released == 1);
    CHECK(s.Retire("o1").retired == 1);
  };
  return m;
}

}  // namespace

TEST_CASE("[redis] every transition of the order lifecycle is performed by its script") {
  const auto performers = Performers();
  for (size_t i = 0; i < kTransitionCount; i++) {
    const Transition& t = kTransitions[i];
    const std::string key = RowKey(t);
    CAPTURE(key);
    auto it = performers.find(key);
    REQUIRE_MESSAGE(it != performers.end(), "no test performs the transition " << key);
    Sale sale;
    // The row's script is the performer's last call: its entry, if any, is the newest.
    it->second(sale);
    if (t.to == OrderStatus::kRetired) {
      CHECK(sale.Num({"TTL", sale.keys.Order("o1")}) > 0);  // the hash expires; MySQL keeps the row
    } else {
      CHECK(sale.StatusOf("o1") == OrderStatusName(t.to));
      CHECK(sale.Num({"TTL", sale.keys.Order("o1")}) == -1);
    }
    if (t.appends) {
      REQUIRE(sale.Entries() >= 1);
      CHECK(sale.LastEntryType() == OrderStatusName(t.to));
    }
  }
}

TEST_CASE("[redis] transitions that come from MySQL or retire append no stream entry") {
  const auto performers = Performers();
  for (size_t i = 0; i < kTransitionCount; i++) {
    const Transition& t = kTransitions[i];
    if (t.appends || !t.from_none) continue;  // a from-none row appending nothing: the stream stays empty
    CAPTURE(RowKey(t));
    Sale sale;
    performers.at(RowKey(t))(sale);
    CHECK(sale.Entries() == 0);
  }
  Sale sale;  // retire after a paid order: the two entries of reserve and pay, nothing more
  performers.at("retire:paid>retired")(sale);
  CHECK(sale.Entries() == 2);
}

TEST_CASE("[redis] a release gives the ticket back to the stock, the user and the node") {
  for (const char* how : {"cancel", "expire"}) {
    CAPTURE(how);
    Sale sale(1);
    sale.Reserved();
    CHECK(sale.Reserve("u2", "o2").code == lua::ReserveReply::Code::kSoldOut);
    if (std::string(how) == "cancel") {
      REQUIRE(sale.Cancel("o1").released == 1);
    } else {
      sale.PastWindow("o1");
      REQUIRE(sale.Expire("o1").released == 1);
    }
    CHECK(sale.Meta(field::kSold) == 0);
    CHECK(sale.Meta(field::Returned("n1")) == 1);
    CHECK(sale.Meta(std::string(how) == "cancel" ? field::kCancelled : field::kExpired) == 1);
    CHECK(sale.Num({"HEXISTS", sale.keys.users, "u1"}) == 0);
    CHECK(sale.Num({"ZCARD", sale.keys.expiry}) == 0);
    auto again = sale.Reserve("u2", "o2");
    CHECK(again.code == lua::ReserveReply::Code::kReserved);
    CHECK(again.returned == 1);
  }
}

TEST_CASE("[redis] reserve refuses: sold out, limit reached, no such event, not verified") {
  Sale sale(1);
  sale.Reserved();
  SUBCASE("sold out, with the node's returned count") {
    auto r = sale.Reserve("u2", "o2");
    CHECK(r.code == lua::ReserveReply::Code::kSoldOut);
    CHECK(r.returned == 0);
    CHECK(sale.Meta(field::kSold) == 1);
  }
  SUBCASE("limit reached names the order held") {
    sale.Cmd({"HSET", sale.keys.meta, field::kTotal, "5"});
    auto r = sale.Reserve("u1", "o2");
    CHECK(r.code == lua::ReserveReply::Code::kLimitReached);
    CHECK(r.held_order == "o1");
    CHECK(sale.Num({"EXISTS", sale.keys.Order("o2")}) == 0);
  }
  SUBCASE("limit 2: a third is refused, naming the first") {
    Sale two(5, 2);
    REQUIRE(two.Reserve("u1", "a").code == lua::ReserveReply::Code::kReserved);
    REQUIRE(two.Reserve("u1", "b").code == lua::ReserveReply::Code::kReserved);
    auto r = two.Reserve("u1", "c");
    CHECK(r.code == lua::ReserveReply::Code::kLimitReached);
    CHECK(r.held_order == "a");
    CHECK(two.Cmd({"HGET", two.keys.users, "u1"}) == "a b");
  }
  SUBCASE("no such event") {
    lua::ReserveReply r;
    REQUIRE(lua::Reserve(sale.redis.get(), EventKeys("nope"),
                         {.user = "u1", .order_id = "x", .node = "n1", .run_id = ServerRunId::kOfConnection}, &r)
                .ok());
    CHECK(r.code == lua::ReserveReply::Code::kNoEvent);
  }
  SUBCASE("not verified: nothing changes") {
    sale.Cmd({"HSET", sale.keys.meta, field::kTotal, "5"});
    sale.Unverified();
    int64_t entries = sale.Entries();
    CHECK(sale.Reserve("u2", "o2").code == lua::ReserveReply::Code::kNotVerified);
    CHECK(sale.Meta(field::kSold) == 1);
    CHECK(sale.Entries() == entries);
  }
}

// An event "t" of `sale`'s Redis opening at `opens_at_ms` and closing at
// `closes_at_ms` (0: at once, never).
lua::ReserveReply ReserveTimed(Sale& sale, int64_t opens_at_ms, int64_t closes_at_ms, const std::string& order_id) {
  EventKeys t("t");
  sale.Cmd({"DEL", t.meta, t.users, t.expiry, t.log});
  lua::CreateEventReply created;
  REQUIRE(lua::CreateEvent(sale.redis.get(), t,
                           {.total = 5, .limit = 1, .window_s = 600, .price_cents = 0, .group_name = kReconcilerGroup,
                            .run_id = ServerRunId::kOfConnection, .opens_at_ms = opens_at_ms, .closes_at_ms = closes_at_ms},
                           &created)
              .ok());
  REQUIRE(created.code == lua::CreateEventReply::Code::kCreated);
  lua::ReserveReply r;
  REQUIRE(lua::Reserve(sale.redis.get(), t,
                       {.user = "u1", .order_id = order_id, .node = "n1", .run_id = ServerRunId::kOfConnection}, &r)
              .ok());
  return r;
}

TEST_CASE("[redis] reserve refuses before opens_at and from closes_at, by Redis's clock") {
  Sale sale;
  EventKeys t("t");
  SUBCASE("a minute before the opening: not_open with opens_at, nothing changes") {
    int64_t opens = sale.Now() + 60000;
    auto r = ReserveTimed(sale, opens, 0, "o1");
    CHECK(r.code == lua::ReserveReply::Code::kNotOpen);
    CHECK(r.opens_at_ms == opens);
    CHECK(sale.Cmd({"HGET", t.meta, field::kSold}) == "0");
    CHECK(sale.Num({"HLEN", t.users}) == 0);
    CHECK(sale.Num({"EXISTS", t.Order("o1")}) == 0);
    CHECK(sale.Num({"XLEN", t.log}) == 0);
  }
  SUBCASE("an opening time just past (by Redis's clock): reserved") {
    CHECK(ReserveTimed(sale, sale.Now() - 1, 0, "o1").code == lua::ReserveReply::Code::kReserved);
  }
  SUBCASE("the opening time reached while refused: the same script then sells") {
    int64_t opens = sale.Now() + 300;
    REQUIRE(ReserveTimed(sale, opens, 0, "o1").code == lua::ReserveReply::Code::kNotOpen);
    while (sale.Now() < opens) {
    }
    lua::ReserveReply r;
    REQUIRE(lua::Reserve(sale.redis.get(), t, {.user = "u1", .order_id = "o2", .node = "n1", .run_id = ServerRunId::kOfConnection}, &r).ok());
    CHECK(r.code == lua::ReserveReply::Code::kReserved);
  }
  SUBCASE("closed: at or after closes_at, nothing changes") {
    int64_t closes = sale.Now() - 1;
    auto r = ReserveTimed(sale, closes - 60000, closes, "o1");
    CHECK(r.code == lua::ReserveReply::Code::kClosed);
    CHECK(r.closes_at_ms == closes);
    CHECK(sale.Cmd({"HGET", t.meta, field::kSold}) == "0");
    CHECK(sale.Num({"XLEN", t.log}) == 0);
  }
  SUBCASE("a closing time ahead: reserved") {
    CHECK(ReserveTimed(sale, 0, sale.Now() + 60000, "o1").code == lua::ReserveReply::Code::kReserved);
  }
  SUBCASE("create_event: opening at once writes the creation time, and no closing time") {
    CHECK(sale.Meta(field::kOpensAt) == sale.Meta(field::kCreatedAt));
    CHECK(sale.Num({"HEXISTS", sale.keys.meta, field::kClosesAt}) == 0);
  }
  SUBCASE("an event without opens_at (made before it existed) is open") {
    sale.Cmd({"HDEL", sale.keys.meta, field::kOpensAt});
    CHECK(sale.Reserve("u1", "o1").code == lua::ReserveReply::Code::kReserved);
  }
}

TEST_CASE("[redis] pay and cancel refuse: wrong owner, wrong state, not verified") {
  Sale sale;
  sale.Reserved();
  const int64_t entries = sale.Entries();
  SUBCASE("another user: not found, for pay, cancel and look") {
    CHECK(sale.Pay("o1", "u2").code == lua::PayReply::Code::kNotFound);
    CHECK(sale.Cancel("o1", "u2").code == lua::CancelReply::Code::kNotFound);
    CHECK(sale.Look("o1", "u2").code == lua::LookReply::Code::kNotFound);
    CHECK(sale.StatusOf("o1") == "reserved");
    CHECK(sale.Entries() == entries);
  }
  SUBCASE("an unknown order: not found") {
    CHECK(sale.Pay("nope").code == lua::PayReply::Code::kNotFound);
    CHECK(sale.Cancel("nope").code == lua::CancelReply::Code::kNotFound);
  }
  SUBCASE("no such event: not found; an order of an event being rebuilt: not verified") {
    EventKeys other("gone");
    lua::PayReply pay;
    lua::CancelReply cancel;
    REQUIRE(lua::Pay(sale.redis.get(), other, {.order_id = "x", .user = "u1", .run_id = ServerRunId::kOfConnection}, &pay).ok());
    REQUIRE(lua::Cancel(sale.redis.get(), other, {.order_id = "x", .user = "u1", .run_id = ServerRunId::kOfConnection}, &cancel).ok());
    CHECK(pay.code == lua::PayReply::Code::kNotFound);
    CHECK(cancel.code == lua::CancelReply::Code::kNotFound);
    sale.Cmd({"DEL", sale.keys.meta});  // the rebuild's first step: the order hash is still there
    CHECK(sale.Pay("o1").code == lua::PayReply::Code::kNotVerified);
    CHECK(sale.Cancel("o1").code == lua::CancelReply::Code::kNotVerified);
    CHECK(sale.StatusOf("o1") == "reserved");
  }
  SUBCASE("paid: paying again is paid, cancelling is refused") {
    REQUIRE(sale.Pay("o1").code == lua::PayReply::Code::kPaid);
    CHECK(sale.Pay("o1").code == lua::PayReply::Code::kPaid);
    CHECK(sale.Cancel("o1").code == lua::CancelReply::Code::kPaid);
    CHECK(sale.Meta(field::kPaid) == 1);
    CHECK(sale.Entries() == entries + 1);
  }
  SUBCASE("cancelled: cancelling again releases nothing, paying is gone") {
    REQUIRE(sale.Cancel("o1").released == 1);
    auto again = sale.Cancel("o1");
    CHECK(again.code == lua::CancelReply::Code::kCancelled);
    CHECK(again.released == 0);
    auto pay = sale.Pay("o1");
    CHECK(pay.code == lua::PayReply::Code::kGone);
    CHECK(pay.status == "cancelled");
    CHECK(pay.released == 0);
    CHECK(sale.Meta(field::Returned("n1")) == 1);
    CHECK(sale.Entries() == entries + 1);
  }
  SUBCASE("expired: cancelling is gone and releases nothing more") {
    sale.PastWindow("o1");
    REQUIRE(sale.Expire("o1").released == 1);
    auto r = sale.Cancel("o1");
    CHECK(r.code == lua::CancelReply::Code::kGone);
    CHECK(r.released == 0);
    CHECK(sale.Meta(field::kSold) == 0);
  }
  SUBCASE("not verified: pay, cancel and expire change nothing") {
    sale.PastWindow("o1");
    sale.Unverified();
    CHECK(sale.Pay("o1").code == lua::PayReply::Code::kNotVerified);
    CHECK(sale.Cancel("o1").code == lua::CancelReply::Code::kNotVerified);
    CHECK(sale.Expire("o1").code == lua::ExpireReply::Code::kNotVerified);
    CHECK(sale.StatusOf("o1") == "reserved");
    CHECK(sale.Meta(field::kSold) == 1);
    CHECK(sale.Entries() == entries);
  }
}

TEST_CASE("[redis] expiry is judged by Redis's clock") {
  Sale sale;
  sale.Reserved();
  SUBCASE("inside the window: look shows reserved, expire releases nothing") {
    CHECK(sale.Look("o1").status == "reserved");
    CHECK(sale.Expire("o1").released == 0);
    CHECK(sale.StatusOf("o1") == "reserved");
  }
  SUBCASE("past it: look shows expired before any release, and changes nothing") {
    sale.PastWindow("o1");
    auto r = sale.Look("o1");
    CHECK(r.code == lua::LookReply::Code::kFound);
    CHECK(r.status == "expired");
    CHECK(r.node == "n1");
    CHECK(r.expires_at_ms <= sale.Now());
    CHECK(sale.StatusOf("o1") == "reserved");
  }
  SUBCASE("a paid order among expire's candidates is left paid, its stale index entry dropped") {
    REQUIRE(sale.Pay("o1").code == lua::PayReply::Code::kPaid);
    sale.PastWindow("o1");
    CHECK(sale.Expire("o1").released == 0);
    CHECK(sale.StatusOf("o1") == "paid");
    CHECK(sale.Num({"ZCARD", sale.keys.expiry}) == 0);
  }
}

TEST_CASE("[redis] create_event, retire and repair leave what they must not touch") {
  Sale sale;
  SUBCASE("creating an existing event changes nothing") {
    lua::CreateEventReply r;
    REQUIRE(lua::CreateEvent(sale.redis.get(), sale.keys,
                             {.total = 99, .limit = 1, .window_s = 1, .price_cents = 0, .group_name = kReconcilerGroup,
                              .run_id = ServerRunId::kOfConnection},
                             &r)
                .ok());
    CHECK(r.code == lua::CreateEventReply::Code::kExists);
    CHECK(sale.Meta(field::kTotal) == 10);
  }
  SUBCASE("retire gives no TTL to a reserved order") {
    sale.Reserved();
    CHECK(sale.Retire("o1").retired == 0);
    CHECK(sale.Num({"TTL", sale.keys.Order("o1")}) == -1);
  }
  SUBCASE("repair: the further status wins (Redis paid, MySQL reserved)") {
    sale.Reserved();
    REQUIRE(sale.Pay("o1").code == lua::PayReply::Code::kPaid);
    auto r = sale.Repair("o1", OrderStatus::kReserved);
    CHECK(r.restored == 0);
    CHECK(r.changed == 0);
    CHECK(sale.StatusOf("o1") == "paid");
  }
  SUBCASE("repair does not put back an order its user still holds") {
    sale.Reserved();
    sale.Cmd({"DEL", sale.keys.Order("o1")});  // the hash lost, the holding kept
    CHECK(sale.Repair("o1", OrderStatus::kReserved).restored == 0);
    CHECK(sale.Meta(field::kSold) == 1);
  }
}

TEST_CASE("[redis] rebuild_event opens the event with MySQL's counts") {
  auto redis = RedisServer::Get().Fresh();
  EventKeys keys("r");
  lua::RebuildEventReply r;
  REQUIRE(lua::RebuildEvent(redis.get(), keys,
                            {.total = 10, .limit = 1, .window_s = 60, .price_cents = 5, .created_at_ms = 1000,
                             .sold = 3, .paid = 2, .expired = 1, .cancelled = 0, .verified_run = "run-x",
                             .opens_at_ms = 5000, .closes_at_ms = 9000,
                             .returned = {{.node = "n1", .count = 1}, {.node = "n2", .count = 0}}},
                            &r)
              .ok());
  CHECK(r.code == lua::RebuildEventReply::Code::kOpened);
  CHECK(r.sold == 3);
  Status st;
  Reply m = redis->Command({"HGETALL", keys.meta}, &st);
  REQUIRE(st.ok());
  std::map<std::string, std::string> h;
  for (size_t i = 0; i + 1 < m->elements; i += 2) h[m->element[i]->str] = m->element[i + 1]->str;
  CHECK(h[field::kVerifiedRun] == "run-x");
  CHECK(h[field::Returned("n1")] == "1");
  CHECK(h.count(field::Returned("n2")) == 0);  // counts appear once not zero
  CHECK(h.count(field::kCancelled) == 0);
  CHECK(h[field::kPaid] == "2");
  CHECK(h[field::kOpensAt] == "5000");  // MySQL's opening and closing times
  CHECK(h[field::kClosesAt] == "9000");
}

TEST_CASE("[redis] trim_stream keeps every entry a reconciler read but did not acknowledge") {
  Sale sale;
  for (int i = 1; i <= 4; i++)
    REQUIRE(sale.Reserve("u" + std::to_string(i), "o" + std::to_string(i)).code == lua::ReserveReply::Code::kReserved);
  Status st;
  // A reconciler reads three entries (pending), acknowledges the first one.
  Reply read = sale.redis->Command({"XREADGROUP", "GROUP", kReconcilerGroup, "c", "COUNT", "3", "STREAMS",
                                    sale.keys.log, ">"}, &st);
  REQUIRE(st.ok());
  const redisReply* entries = read->element[0]->element[1];
  REQUIRE(entries->elements == 3);
  std::string first = entries->element[0]->element[0]->str, second = entries->element[1]->element[0]->str;
  sale.Cmd({"XACK", sale.keys.log, kReconcilerGroup, first});
  lua::TrimStreamReply r;
  REQUIRE(lua::TrimStream(sale.redis.get(), sale.keys, {.group_name = kReconcilerGroup}, &r).ok());
  CHECK(r.entries == 1);                  // only the acknowledged one
  CHECK(sale.Entries() == 3);             // the two pending and the undelivered fourth stay
  Reply oldest = sale.redis->Command({"XRANGE", sale.keys.log, "-", "+", "COUNT", "1"}, &st);
  CHECK(std::string(oldest->element[0]->element[0]->str) == second);
  // Everything acknowledged: all below the last delivered entry goes.
  Reply rest = sale.redis->Command({"XREADGROUP", "GROUP", kReconcilerGroup, "c", "COUNT", "9", "STREAMS", sale.keys.log, ">"}, &st);
  REQUIRE(st.ok());
  Reply pend = sale.redis->Command({"XPENDING", sale.keys.log, kReconcilerGroup, "-", "+", "10"}, &st);
  for (size_t i = 0; i < pend->elements; i++) sale.Cmd({"XACK", sale.keys.log, kReconcilerGroup, pend->element[i]->element[0]->str});
  REQUIRE(lua::TrimStream(sale.redis.get(), sale.keys, {.group_name = kReconcilerGroup}, &r).ok());
  CHECK(r.entries == 2);
  CHECK(sale.Entries() == 1);  // the last delivered entry itself is kept
  // No stream at all: nothing to trim.
  REQUIRE(lua::TrimStream(sale.redis.get(), EventKeys("none"), {.group_name = kReconcilerGroup}, &r).ok());
  CHECK(r.entries == 0);
}

TEST_CASE("[redis] cancel: a user's cancellations stop at the cap, the order staying reserved") {
  Sale sale(10);
  auto cancel = [&](const std::string& oid, int64_t cap, const std::string& user = "u1") {
    lua::CancelReply r;
    REQUIRE(lua::Cancel(sale.redis.get(), sale.keys,
                        {.order_id = oid, .user = user, .run_id = ServerRunId::kOfConnection, .cancel_limit = cap}, &r)
                .ok());
    return r;
  };
  for (int i = 1; i <= 3; i++) {
    const std::string oid = "o" + std::to_string(i);
    REQUIRE(sale.Reserve("u1", oid).code == lua::ReserveReply::Code::kReserved);
    auto r = cancel(oid, 3);
    CHECK(r.code == lua::CancelReply::Code::kCancelled);
    CHECK(r.released == 1);
  }
  CHECK(sale.Num({"HGET", sale.keys.cancels, "u1"}) == 3);
  CHECK(cancel("o3", 3).code == lua::CancelReply::Code::kCancelled);  // a repeat is no new cancellation
  CHECK(sale.Num({"HGET", sale.keys.cancels, "u1"}) == 3);
  REQUIRE(sale.Reserve("u1", "o4").code == lua::ReserveReply::Code::kReserved);
  const int64_t entries = sale.Entries();
  auto refused = cancel("o4", 3);
  CHECK(refused.code == lua::CancelReply::Code::kCancelLimitReached);
  CHECK(refused.limit == 3);
  CHECK(sale.StatusOf("o4") == "reserved");  // still the user's: pay it, or it expires
  CHECK(sale.Meta(field::kSold) == 1);
  CHECK(sale.Entries() == entries);
  CHECK(sale.Num({"HGET", sale.keys.cancels, "u1"}) == 3);
  CHECK(sale.Pay("o4").code == lua::PayReply::Code::kPaid);
  SUBCASE("a cap of 0 is none, and counts nothing") {
    REQUIRE(sale.Reserve("u2", "o5").code == lua::ReserveReply::Code::kReserved);
    lua::CancelReply r;
    REQUIRE(lua::Cancel(sale.redis.get(), sale.keys, {.order_id = "o5", .user = "u2", .run_id = ServerRunId::kOfConnection}, &r).ok());
    CHECK(r.code == lua::CancelReply::Code::kCancelled);
    CHECK(sale.Cmd({"HGET", sale.keys.cancels, "u2"}) == "");
  }
  SUBCASE("an order found past its window is released as expired, capped or not") {
    REQUIRE(sale.Reserve("u2", "o6").code == lua::ReserveReply::Code::kReserved);
    sale.PastWindow("o6");
    CHECK(cancel("o6", 1, "u2").code == lua::CancelReply::Code::kGone);
    CHECK(sale.Cmd({"HGET", sale.keys.cancels, "u2"}) == "");
  }
}

TEST_CASE("[redis] retire: paid orders keep their hash longer than released ones") {
  Sale sale;
  sale.Reserved();
  REQUIRE(sale.Pay("o1").code == lua::PayReply::Code::kPaid);
  REQUIRE(sale.Reserve("u2", "o2").code == lua::ReserveReply::Code::kReserved);
  REQUIRE(sale.Cancel("o2", "u2").released == 1);
  lua::RetireReply r;
  REQUIRE(lua::Retire(sale.redis.get(), sale.keys,
                      {.ttl_s = 86400, .released_ttl_s = 60, .orders = {{.order_id = "o1"}, {.order_id = "o2"}}}, &r)
              .ok());
  CHECK(r.retired == 2);
  CHECK(sale.Num({"TTL", sale.keys.Order("o1")}) > 3600);
  CHECK(sale.Num({"TTL", sale.keys.Order("o2")}) <= 60);
  CHECK(sale.Num({"TTL", sale.keys.Order("o2")}) > 0);
  CHECK(sale.Cmd({"HGET", sale.keys.users, "u1"}) == "o1");  // the paid holding stays: the limit holds
  SUBCASE("a TTL of 0 keeps the hash") {
    REQUIRE(sale.Reserve("u3", "o3").code == lua::ReserveReply::Code::kReserved);
    REQUIRE(sale.Cancel("o3", "u3").released == 1);
    REQUIRE(lua::Retire(sale.redis.get(), sale.keys, {.ttl_s = 100, .released_ttl_s = 0, .orders = {{.order_id = "o3"}}}, &r).ok());
    CHECK(r.retired == 0);
    CHECK(sale.Num({"TTL", sale.keys.Order("o3")}) == -1);
  }
}

TEST_CASE("[redis] reserve tells the event's generation (created_at) on a sale and on sold out") {
  Sale sale(1);
  const int64_t created = sale.Meta(field::kCreatedAt);
  REQUIRE(created > 0);
  auto r = sale.Reserve("u1", "o1");
  REQUIRE(r.code == lua::ReserveReply::Code::kReserved);
  CHECK(r.generation == created);
  auto s = sale.Reserve("u2", "o2");
  REQUIRE(s.code == lua::ReserveReply::Code::kSoldOut);
  CHECK(s.generation == created);
}
