// event_admin_test — putting events on sale (admin/event_admin.h), the parts
// without a server:
//   1. ParseInstant: Unix seconds and ISO-8601, with fractions and offsets;
//      everything else refused;
//   2. ValidateEventSpec: the opening and closing times.
#include <doctest/doctest.h>

#include "admin/event_admin.h"

using namespace seckill;

namespace {

int64_t Parsed(const std::string& text) {
  int64_t ms = -1;
  Status st = ParseInstant(text, &ms);
  REQUIRE_MESSAGE(st.ok(), text, ": ", st.message());
  return ms;
}

}  // namespace

TEST_CASE("ParseInstant reads Unix seconds and ISO-8601") {
  CHECK(Parsed("1764367200") == 1764367200000);
  CHECK(Parsed("1764367200.25") == 1764367200250);
  CHECK(Parsed("1764367200.1239") == 1764367200123);
  CHECK(Parsed("2026-11-28T22:00:00Z") == 1795903200000);
  CHECK(Parsed("2026-11-28 22:00:00") == 1795903200000);  // no zone: UTC
  CHECK(Parsed("2026-11-28T22:00:00.5Z") == 1795903200500);
  CHECK(Parsed("2026-11-28T23:30:00+01:30") == 1795903200000);
  CHECK(Parsed("2026-11-28T20:00:00-02:00") == 1795903200000);
  CHECK(Parsed("1970-01-01T00:00:00Z") == 0);
}

TEST_CASE("ParseInstant refuses anything else") {
  for (const char* bad : {"", "now", "+5", "-5", "1.2.3", "12.", ".5", "2026-11-28", "2026-11-28T22:00Z",
                          "2026-13-01T00:00:00Z", "2026-02-31T00:00:00Z", "2026-11-28T24:00:00Z",
                          "2026-11-28T22:00:00+1:00", "2026-11-28T22:00:00Zjunk", "2026-11-28T22:00:00.Z",
                          "99999999999999"}) {
    int64_t ms = 7;
    CHECK_MESSAGE(ParseInstant(bad, &ms).code() == Status::Code::kInvalid, bad);
    CHECK(ms == 7);
  }
}

TEST_CASE("ValidateEventSpec: a closing time comes after the opening time") {
  EventSpec s;
  s.id = "e";
  s.tickets = 10;
  CHECK(ValidateEventSpec(s).ok());
  s.opens_at_ms = 2000;
  s.closes_at_ms = 2000;
  CHECK(ValidateEventSpec(s).code() == Status::Code::kInvalid);
  s.closes_at_ms = 2001;
  CHECK(ValidateEventSpec(s).ok());
  s.opens_at_ms = 0;  // at once, closing later
  CHECK(ValidateEventSpec(s).ok());
  s.opens_at_ms = -1;
  CHECK(ValidateEventSpec(s).code() == Status::Code::kInvalid);
}
