// http_request_test — form and query parsing under the worker's limits:
// percent-decoding, NUL bytes, repeated and too many parameters, media types.
#include <doctest/doctest.h>

#include "fcgi/http_request.h"

using namespace seckill;

TEST_CASE("a form body and a query string are merged") {
  HttpRequest r;
  REQUIRE(ParseRequest("POST", "/api/events/e/reservations?x=1", "application/x-www-form-urlencoded", "user_id=a%2Bb+c", &r).ok());
  CHECK(r.path == "/api/events/e/reservations");
  REQUIRE(r.Param("user_id"));
  CHECK(*r.Param("user_id") == "a+b c");
  CHECK(*r.Param("x") == "1");
  CHECK(r.Param("nope") == nullptr);
}

TEST_CASE("bad percent-encoding is rejected") {
  std::vector<std::pair<std::string, std::string>> p;
  SUBCASE("truncated") { CHECK_FALSE(ParseForm("a=%4", &p).ok()); }
  SUBCASE("at end") { CHECK_FALSE(ParseForm("a=%", &p).ok()); }
  SUBCASE("not hex") { CHECK_FALSE(ParseForm("a=%zz", &p).ok()); }
  SUBCASE("NUL") { CHECK_FALSE(ParseForm("a=%00", &p).ok()); }
  SUBCASE("raw NUL") { CHECK_FALSE(ParseForm(std::string_view("a=b\0c", 5), &p).ok()); }
}

TEST_CASE("a parameter given twice is rejected, even across query and body") {
  HttpRequest r;
  CHECK_FALSE(ParseRequest("POST", "/x?user_id=a", "application/x-www-form-urlencoded", "user_id=b", &r).ok());
  std::vector<std::pair<std::string, std::string>> p;
  CHECK_FALSE(ParseForm("a=1&a=2", &p).ok());
}

TEST_CASE("too many parameters are rejected") {
  std::string many;
  for (int i = 0; i < 17; i++) many += "k" + std::to_string(i) + "=v&";
  std::vector<std::pair<std::string, std::string>> p;
  CHECK_FALSE(ParseForm(many, &p).ok());
}

TEST_CASE("empty pairs are skipped, empty names rejected") {
  std::vector<std::pair<std::string, std::string>> p;
  CHECK(ParseForm("&&a=1&", &p).ok());
  CHECK(p.size() == 1);
  CHECK_FALSE(ParseForm("=x", &p).ok());
}

TEST_CASE("a body that is not a form is an unsupported media type") {
  HttpRequest r;
  Status st = ParseRequest("POST", "/x", "application/json", "{\"user_id\":1}", &r);
  CHECK_FALSE(st.ok());
  CHECK(st.message() == "unsupported media type");
  CHECK(ParseRequest("POST", "/x", "application/x-www-form-urlencoded; charset=UTF-8", "a=1", &r).ok());
  CHECK(ParseRequest("POST", "/x", "", "", &r).ok());
}

TEST_CASE("an overlong target is rejected") {
  HttpRequest r;
  CHECK_FALSE(ParseRequest("GET", "/" + std::string(kMaxTarget, 'a'), "", "", &r).ok());
}
