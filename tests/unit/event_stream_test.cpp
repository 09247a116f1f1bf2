// event_stream_test — the reconciler's reads of an event's stream
// (reconciler/event_stream.h) against a real redis-server:
//   1. a run re-reads the entries another run left pending, malformed ones
//      included (to acknowledge them), each once, then reads new ones, and
//      reads nothing more once drained: ids of one millisecond whose
//      sequences have different numbers of digits ("7-9" before "7-10")
//      follow each other in id order, not as strings;
//   2. a pending entry whose content was trimmed away stops the read.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/keys.h"
#include "reconciler/event_stream.h"
#include "tests/unit/redis_server.h"

using namespace seckill;
using testing::RedisServer;

namespace {

std::vector<std::string> Reservation(const std::string& order) {
  return {field::kEntryType, "reserved", field::kEntryOrder, order, field::kEntryUser, "u-" + order,
          field::kEntryNode, "n1",       field::kEntryAt,    "1000", field::kEntryExp, "61000"};
}

// An event's stream and its reconciler group on an empty Redis.
struct Stream {
  std::unique_ptr<RedisClient> redis = RedisServer::Get().Fresh();
  EventKeys keys;

  explicit Stream(const std::string& event) : keys(event) {
    Status st;
    redis->Command({"XGROUP", "CREATE", keys.log, kReconcilerGroup, "0", "MKSTREAM"}, &st);
    REQUIRE_MESSAGE(st.ok(), st.message());
  }
  void Add(const std::string& id, const std::vector<std::string>& fields) {
    std::vector<std::string> argv = {"XADD", keys.log, id};
    argv.insert(argv.end(), fields.begin(), fields.end());
    Status st;
    Reply r = redis->Command(argv, &st);
    REQUIRE_MESSAGE(st.ok(), st.message());
    REQUIRE(r->type == REDIS_REPLY_STRING);
  }
};

// One Read of `count`, as the reconciler's consumer.
struct Batch {
  Status status;
  std::vector<OrderChange> changes;
  std::vector<std::string> skipped;
};
Batch ReadOnce(EventStream* stream, size_t count) {
  Batch b;
  b.status = stream->Read(count, &b.changes, &b.skipped);
  return b;
}

// Reads until the stream gives nothing, at most `limit` reads of `count`;
// returns every id read, changes and skipped alike.
std::vector<std::string> ReadAll(EventStream* stream, size_t count, int limit = 10) {
  std::vector<std::string> ids;
  for (int i = 0; i < limit; i++) {
    Batch b = ReadOnce(stream, count);
    REQUIRE_MESSAGE(b.status.ok(), b.status.message());
    if (b.changes.empty() && b.skipped.empty()) return ids;
    for (const auto& c : b.changes) ids.push_back(c.stream_id);
    ids.insert(ids.end(), b.skipped.begin(), b.skipped.end());
  }
  FAIL("the stream was not drained after " << limit << " reads");
  return ids;
}

}  // namespace

TEST_CASE("[redis] a run re-reads what another left pending, each entry once, in id order") {
  Stream s("es");
  // 7-9 a reservation, 7-10 malformed (to skip), 7-11 a reservation: a run
  // that dies reads all three and acknowledges none.
  s.Add("7-9", Reservation("a"));
  s.Add("7-10", {"junk", "1"});
  s.Add("7-11", Reservation("b"));
  {
    EventStream killed(s.redis.get(), s.keys.event);
    Batch b = ReadOnce(&killed, 3);
    REQUIRE(b.status.ok());
    REQUIRE(b.changes.size() == 2);
    REQUIRE(b.skipped == std::vector<std::string>{"7-10"});
  }
  s.Add("8-0", Reservation("c"));  // new since
  EventStream next(s.redis.get(), s.keys.event);

  SUBCASE("one at a time") {
    CHECK(ReadAll(&next, 1) == std::vector<std::string>{"7-9", "7-10", "7-11", "8-0"});
  }
  SUBCASE("a batch whose changes end after its skipped entry (7-11 after 7-10)") {
    Batch b = ReadOnce(&next, 3);
    REQUIRE(b.status.ok());
    REQUIRE(b.changes.size() == 2);
    CHECK(b.changes.back().stream_id == "7-11");
    CHECK(b.skipped == std::vector<std::string>{"7-10"});
    CHECK(ReadAll(&next, 3) == std::vector<std::string>{"8-0"});
  }
  SUBCASE("two at a time: the first batch is a change (7-9) then a skipped entry (7-10), \"7-9\" > \"7-10\" as strings") {
    CHECK(ReadAll(&next, 2) == std::vector<std::string>{"7-9", "7-10", "7-11", "8-0"});
  }
}

TEST_CASE("[redis] a pending entry trimmed away stops the read") {
  Stream s("et");
  s.Add("5-1", Reservation("a"));
  s.Add("5-2", Reservation("b"));
  EventStream killed(s.redis.get(), s.keys.event);
  REQUIRE(ReadOnce(&killed, 2).changes.size() == 2);
  Status st;
  s.redis->Command({"XDEL", s.keys.log, "5-1"}, &st);  // gone while pending
  REQUIRE(st.ok());
  EventStream next(s.redis.get(), s.keys.event);
  Batch b = ReadOnce(&next, 2);
  CHECK(b.status.code() == Status::Code::kInternal);
  CHECK(b.status.message().find("5-1 is pending but was trimmed away") != std::string::npos);
}
