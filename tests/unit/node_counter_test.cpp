// node_counter_test — the node counter on a real SQLite file: allotment,
// give-back, returned tickets, durability across reopen, and atomic takes
// from several processes at once.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "fcgi/node_counter.h"

using namespace seckill;

namespace {
std::string TempDb() {
  char dir[] = "/tmp/seckill-counter-XXXXXX";
  REQUIRE(mkdtemp(dir));
  return std::string(dir) + "/node.sqlite";
}
}  // namespace

TEST_CASE("takes stop at the allotment; give-backs and returned tickets reopen it") {
  NodeCounter c;
  REQUIRE(c.Open(TempDb(), 100).ok());
  REQUIRE(c.Ensure("e", 3).ok());
  REQUIRE(c.Ensure("e", 99).ok());  // idempotent: the first allotment stays
  for (int i = 0; i < 3; i++) CHECK(c.TakeOne("e") == NodeCounter::Take::kTaken);
  CHECK(c.TakeOne("e") == NodeCounter::Take::kExhausted);
  CHECK(c.GiveBack("e").ok());
  CHECK(c.TakeOne("e") == NodeCounter::Take::kTaken);
  CHECK(c.TakeOne("e") == NodeCounter::Take::kExhausted);
  CHECK(c.SeeReturned("e", 2).ok());
  CHECK(c.SeeReturned("e", 1).ok());  // returned only grows
  NodeCounter::Row row;
  REQUIRE(c.Get("e", &row).ok());
  CHECK(row.allotment == 3);
  CHECK(row.returned == 2);
  CHECK(c.TakeOne("e") == NodeCounter::Take::kTaken);
  CHECK(c.TakeOne("e") == NodeCounter::Take::kTaken);
  CHECK(c.TakeOne("e") == NodeCounter::Take::kExhausted);
  CHECK(c.Get("other", &row).code() == Status::Code::kNotFound);
}

TEST_CASE("a reopened counter carries on from the node's count") {
  std::string path = TempDb();
  {
    NodeCounter c;
    REQUIRE(c.Open(path, 100).ok());
    REQUIRE(c.Ensure("e", 10).ok());
    for (int i = 0; i < 7; i++) REQUIRE(c.TakeOne("e") == NodeCounter::Take::kTaken);
  }
  NodeCounter c;
  REQUIRE(c.Open(path, 100).ok());
  NodeCounter::Row row;
  REQUIRE(c.Get("e", &row).ok());
  CHECK(row.taken == 7);
}

TEST_CASE("four processes taking at once never exceed the allotment") {
  std::string path = TempDb();
  {
    NodeCounter c;
    REQUIRE(c.Open(path, 100).ok());
    REQUIRE(c.Ensure("e", 500).ok());
  }
  int pipes[4][2];
  pid_t pids[4];
  for (int p = 0; p < 4; p++) {
    REQUIRE(pipe(pipes[p]) == 0);
    pids[p] = fork();
    REQUIRE(pids[p] >= 0);
    if (pids[p] == 0) {
      NodeCounter c;
      if (!c.Open(path, 5000).ok()) _exit(2);
      int taken = 0;
      for (int i = 0; i < 200; i++)
        if (c.TakeOne("e") == NodeCounter::Take::kTaken) taken++;
      if (write(pipes[p][1], &taken, sizeof taken) != sizeof taken) _exit(3);
      _exit(0);
    }
    close(pipes[p][1]);
  }
  int total = 0;
  for (int p = 0; p < 4; p++) {
    int taken = 0, status = 0;
    REQUIRE(read(pipes[p][0], &taken, sizeof taken) == sizeof taken);
    waitpid(pids[p], &status, 0);
    CHECK(WEXITSTATUS(status) == 0);
    total += taken;
  }
  CHECK(total == 500);
  NodeCounter c;
  REQUIRE(c.Open(path, 100).ok());
  NodeCounter::Row row;
  REQUIRE(c.Get("e", &row).ok());
  CHECK(row.taken == 500);
}
