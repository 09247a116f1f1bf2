// ids_test — event/user id validation, order id generation and parsing.
#include <doctest/doctest.h>

#include <set>

#include "common/ids.h"

using namespace seckill;

TEST_CASE("valid ids are 1-64 characters of [A-Za-z0-9_.-], not starting with a dot") {
  CHECK(IsValidId("a"));
  CHECK(IsValidId("user_42.x-Y"));
  CHECK(IsValidId(std::string(64, 'z')));
  CHECK_FALSE(IsValidId(""));
  CHECK_FALSE(IsValidId(std::string(65, 'z')));
  CHECK_FALSE(IsValidId("a b"));
  CHECK_FALSE(IsValidId("a/b"));
  CHECK_FALSE(IsValidId("{tag}"));
  CHECK_FALSE(IsValidId(std::string("a\0b", 3)));
  CHECK_FALSE(IsValidId("é"));
  CHECK_FALSE(IsValidId("."));    // an event id names a file (the sold-out flag)
  CHECK_FALSE(IsValidId(".."));
  CHECK_FALSE(IsValidId(".hidden"));
  CHECK(IsValidId("a.b."));
}

TEST_CASE("order ids carry their event and 128 random bits") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; i++) {
    std::string id = NewOrderId("ev-1.a");
    std::string event;
    REQUIRE(ParseOrderId(id, &event));
    CHECK(event == "ev-1.a");
    CHECK(id.size() == 6 + 1 + 32);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("malformed order ids are rejected") {
  std::string event;
  std::string good = NewOrderId("e");
  CHECK(ParseOrderId(good, &event));
  CHECK_FALSE(ParseOrderId("", &event));
  CHECK_FALSE(ParseOrderId("e-123", &event));
  CHECK_FALSE(ParseOrderId("-" + std::string(32, 'a'), &event));            // no event
  CHECK_FALSE(ParseOrderId("e-" + std::string(32, 'A'), &event));           // upper-case hex
  CHECK_FALSE(ParseOrderId("e_" + std::string(32, 'a'), &event));           // no dash
  CHECK_FALSE(ParseOrderId("a/b-" + std::string(32, 'a'), &event));         // bad event
  CHECK_FALSE(ParseOrderId(std::string(65, 'e') + "-" + std::string(32, 'a'), &event));
}
