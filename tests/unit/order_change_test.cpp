// order_change_test — the reconciler's pure folding of stream entries
// (reconciler/order_change.h): parsing an XREADGROUP entry, and merging an
// event's changes into one row per order, in stream order.
//   1. a well-formed entry of each type parses; its fields land by name;
//   2. malformed entries are refused: trimmed (no fields), unknown type,
//      "retired" (not a change), missing order/user/time, reserved without
//      expiry;
//   3. merging: reserve then pay / cancel / expire; a change without its
//      reservation in the batch; several orders keep first-seen order.
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "common/keys.h"
#include "reconciler/order_change.h"

using namespace seckill;

namespace {

// A hiredis reply tree built by hand: [id, [k, v, k, v, ...]].
struct Entry {
  std::vector<redisReply> strings;
  std::vector<redisReply*> field_ptrs, top_ptrs;
  redisReply fields{}, top{};
  std::vector<std::string> text;

  Entry(const std::string& id, std::initializer_list<std::string> kv) {
    text.push_back(id);
    for (const auto& s : kv) text.push_back(s);
    strings.resize(text.size());
    for (size_t i = 0; i < text.size(); i++) {
      strings[i] = redisReply{};
      strings[i].type = REDIS_REPLY_STRING;
      strings[i].str = text[i].data();
      strings[i].len = text[i].size();
    }
    for (size_t i = 1; i < strings.size(); i++) field_ptrs.push_back(&strings[i]);
    fields.type = REDIS_REPLY_ARRAY;
    fields.elements = field_ptrs.size();
    fields.element = field_ptrs.data();
    top_ptrs = {&strings[0], &fields};
    top.type = REDIS_REPLY_ARRAY;
    top.elements = 2;
    top.element = top_ptrs.data();
  }
};

OrderChange Change(OrderStatus type, const std::string& order, int64_t at, int64_t exp = 0) {
  OrderChange c;
  c.stream_id = std::to_string(at) + "-0";
  c.type = type;
  c.order_id = order;
  c.user = "u-" + order;
  c.node = "n1";
  c.at_ms = at;
  c.expires_ms = exp;
  return c;
}

}  // namespace

TEST_CASE("a stream entry of each type parses by its field names") {
  Entry e("5-1", {field::kEntryType, "reserved", field::kEntryOrder, "E-1", field::kEntryUser, "alice",
                  field::kEntryNode, "n2", field::kEntryAt, "1000", field::kEntryExp, "61000"});
  OrderChange c;
  REQUIRE(ParseStreamEntry(&e.top, &c).ok());
  CHECK(c.stream_id == "5-1");
  CHECK(c.type == OrderStatus::kReserved);
  CHECK(c.order_id == "E-1");
  CHECK(c.user == "alice");
  CHECK(c.node == "n2");
  CHECK(c.at_ms == 1000);
  CHECK(c.expires_ms == 61000);
  for (OrderStatus s : {OrderStatus::kPaid, OrderStatus::kExpired, OrderStatus::kCancelled}) {
    Entry f("6-0", {field::kEntryAt, "2000", field::kEntryType, OrderStatusName(s), field::kEntryOrder, "E-1",
                    field::kEntryUser, "alice", field::kEntryNode, "n2"});  // field order does not matter
    REQUIRE(ParseStreamEntry(&f.top, &c).ok());
    CHECK(c.type == s);
    CHECK(c.expires_ms == 0);
  }
}

TEST_CASE("malformed stream entries are refused") {
  OrderChange c;
  SUBCASE("trimmed: no fields") {
    Entry e("1-0", {});
    CHECK(ParseStreamEntry(&e.top, &c).code() == Status::Code::kInvalid);
  }
  SUBCASE("unknown type, and retired, which is no change") {
    for (const char* t : {"refunded", "retired"}) {
      Entry e("1-0", {field::kEntryType, t, field::kEntryOrder, "o", field::kEntryUser, "u", field::kEntryAt, "1"});
      CHECK(ParseStreamEntry(&e.top, &c).code() == Status::Code::kInvalid);
    }
  }
  SUBCASE("missing order, user or time") {
    Entry no_order("1-0", {field::kEntryType, "paid", field::kEntryUser, "u", field::kEntryAt, "1"});
    Entry no_user("1-0", {field::kEntryType, "paid", field::kEntryOrder, "o", field::kEntryAt, "1"});
    Entry no_time("1-0", {field::kEntryType, "paid", field::kEntryOrder, "o", field::kEntryUser, "u"});
    CHECK_FALSE(ParseStreamEntry(&no_order.top, &c).ok());
    CHECK_FALSE(ParseStreamEntry(&no_user.top, &c).ok());
    CHECK_FALSE(ParseStreamEntry(&no_time.top, &c).ok());
  }
  SUBCASE("a reservation without its expiry") {
    Entry e("1-0", {field::kEntryType, "reserved", field::kEntryOrder, "o", field::kEntryUser, "u", field::kEntryAt, "1"});
    CHECK_FALSE(ParseStreamEntry(&e.top, &c).ok());
  }
  SUBCASE("not an entry at all") {
    redisReply nil{};
    nil.type = REDIS_REPLY_NIL;
    CHECK_FALSE(ParseStreamEntry(&nil, &c).ok());
    CHECK_FALSE(ParseStreamEntry(nullptr, &c).ok());
  }
}

TEST_CASE("an order's changes fold into one row with its final state and times") {
  SUBCASE("reserved then paid") {
    auto rows = MergeChanges("E", {Change(OrderStatus::kReserved, "a", 100, 700), Change(OrderStatus::kPaid, "a", 300)});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].event == "E");
    CHECK(rows[0].status == OrderStatus::kPaid);
    CHECK(rows[0].reserved_ms == 100);
    CHECK(rows[0].expires_ms == 700);
    CHECK(rows[0].paid_ms == 300);
    CHECK(rows[0].closed_ms() == 300);
  }
  SUBCASE("reserved then cancelled, reserved then expired") {
    auto rows = MergeChanges("E", {Change(OrderStatus::kReserved, "a", 100, 700), Change(OrderStatus::kReserved, "b", 110, 710),
                                   Change(OrderStatus::kCancelled, "a", 200), Change(OrderStatus::kExpired, "b", 800)});
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].order_id == "a");
    CHECK(rows[0].status == OrderStatus::kCancelled);
    CHECK(rows[0].cancelled_ms == 200);
    CHECK(rows[0].paid_ms == 0);
    CHECK(rows[1].order_id == "b");
    CHECK(rows[1].status == OrderStatus::kExpired);
    CHECK(rows[1].expired_ms == 800);
    CHECK(rows[1].reserved_ms == 110);
  }
  SUBCASE("a final change whose reservation was in an earlier batch") {
    auto rows = MergeChanges("E", {Change(OrderStatus::kPaid, "a", 300)});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].status == OrderStatus::kPaid);
    CHECK(rows[0].reserved_ms == 300);  // stand-ins: the upsert keeps the stored times (order_store.h)
    CHECK(rows[0].expires_ms == 300);
    CHECK(rows[0].user == "u-a");
  }
  SUBCASE("a reservation alone stays reserved; no changes, no rows") {
    auto rows = MergeChanges("E", {Change(OrderStatus::kReserved, "a", 100, 700)});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].status == OrderStatus::kReserved);
    CHECK(rows[0].closed_ms() == 0);
    CHECK(MergeChanges("E", {}).empty());
  }
}
