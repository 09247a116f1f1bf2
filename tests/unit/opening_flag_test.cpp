// opening_flag_test — the fronts' not-open flags (fcgi/opening_flag.h)
// against a real redis-server [redis], in a temporary sold-out directory:
//   1. the flag's content is the 425 answer's body, the same as a worker's;
//   2. Sync raises a flag for each event of seckill:opening that opens after
//      Redis's clock, and only for those; it lowers every other flag (opened,
//      or no longer listed); it rewrites a flag whose time changed; it
//      measures the offset between Redis's clock and the host's;
//   3. the flags are readable by anyone (nginx), whatever the umask.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/keys.h"
#include "fcgi/opening_flag.h"
#include "tests/unit/redis_server.h"

using namespace seckill;
using testing::RedisServer;

namespace {

struct Front {
  std::string dir;
  Front() {
    char tmpl[] = "/tmp/seckill-opening.XXXXXX";
    dir = mkdtemp(tmpl);
  }
  ~Front() { std::system(("rm -rf '" + dir + "'").c_str()); }
  std::string Flag(const std::string& event) const {
    std::ifstream in(dir + "/.opening/" + event);
    if (!in) return "";
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

// A strict umask for a test's duration (the units run the workers with 0027).
struct StrictUmask {
  mode_t before = umask(077);
  ~StrictUmask() { umask(before); }
};

int64_t RedisNow(RedisClient* redis) {
  Status st;
  Reply r = redis->Command({"TIME"}, &st);
  REQUIRE(st.ok());
  return atoll(r->element[0]->str) * 1000 + atoll(r->element[1]->str) / 1000;
}

}  // namespace

TEST_CASE("the not-open answer is a 425 with opens_at in Unix seconds") {
  Response r = NotOpenResponse(1795903200250);
  CHECK(r.status == 425);
  CHECK(r.outcome == Outcome::kNotOpen);
  CHECK(r.body == "{\"error\":\"not_open\",\"opens_at\":1795903200.25}\n");
}

TEST_CASE("[redis] Sync flags exactly the events that open later, by Redis's clock") {
  auto redis = RedisServer::Get().Fresh();
  Front front;
  StrictUmask strict;
  OpeningFlags flags(front.dir);
  int64_t now = RedisNow(redis.get());
  Status st;
  redis->Command({"ZADD", kOpeningSetKey, std::to_string(now + 60000), "later", std::to_string(now - 1000), "opened",
                  std::to_string(now + 120000), "..bad"},
                 &st);
  REQUIRE(st.ok());
  REQUIRE(flags.Raise("stale", now + 5000).ok());  // a flag of an event no longer listed

  std::map<std::string, int64_t> written, upcoming;
  int64_t offset = 1 << 30;
  REQUIRE(flags.Sync(redis.get(), &written, &upcoming, &offset).ok());
  CHECK(upcoming == std::map<std::string, int64_t>{{"later", now + 60000}});
  CHECK(flags.Flagged() == std::vector<std::string>{"later"});
  CHECK(front.Flag("later") == NotOpenResponse(now + 60000).body);
  CHECK(std::abs(offset) < 1000);  // the same host's clock

  SUBCASE("the flags are readable by nginx whatever the umask") {
    struct stat d, f;
    REQUIRE(stat((front.dir + "/.opening").c_str(), &d) == 0);
    REQUIRE(stat((front.dir + "/.opening/later").c_str(), &f) == 0);
    CHECK((d.st_mode & 0777) == 0755);
    CHECK((f.st_mode & 0777) == 0644);
  }
  SUBCASE("a new opening time rewrites the flag") {
    redis->Command({"ZADD", kOpeningSetKey, std::to_string(now + 90000), "later"}, &st);
    REQUIRE(flags.Sync(redis.get(), &written, &upcoming, &offset).ok());
    CHECK(front.Flag("later") == NotOpenResponse(now + 90000).body);
  }
  SUBCASE("a flag removed by someone else is raised again") {
    flags.Lower("later");
    REQUIRE(flags.Sync(redis.get(), &written, &upcoming, &offset).ok());
    CHECK(front.Flag("later") == NotOpenResponse(now + 60000).body);
  }
  SUBCASE("an event no longer listed loses its flag") {
    redis->Command({"ZREM", kOpeningSetKey, "later"}, &st);
    REQUIRE(flags.Sync(redis.get(), &written, &upcoming, &offset).ok());
    CHECK(upcoming.empty());
    CHECK(flags.Flagged().empty());
  }
  SUBCASE("Redis unreachable: the flags stay") {
    RedisAddress nowhere;
    REQUIRE(RedisAddress::Parse("unix:" + front.dir + "/no.sock", &nowhere).ok());
    RedisClient down(nowhere, 100);
    std::map<std::string, int64_t> none;
    CHECK_FALSE(flags.Sync(&down, &written, &none, &offset).ok());
    CHECK(flags.Flagged() == std::vector<std::string>{"later"});
  }
}
