// node_counter_test — the node counter on a real SQLite file: allotment,
// give-back, returned tickets, durability across reopen, blocks and leases,
// and atomic takes from several processes at once.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "common/node_counter.h"

using namespace seckill;

namespace {
std::string TempDb() {
  char dir[] = "/tmp/seckill-counter-XXXXXX";
  REQUIRE(mkdtemp(dir));
  return std::string(dir) + "/node.sqlite";
}

// A fresh file whose event "e" has `allotment`.
std::string DbWithEvent(int64_t allotment) {
  std::string path = TempDb();
  NodeCounter c;
  REQUIRE(c.Open(path, 100).ok());
  REQUIRE(c.Ensure("e", allotment).ok());
  return path;
}

// Event "e"'s `taken` in the file at `path`, read by a new connection.
int64_t TakenInFile(const std::string& path) {
  NodeCounter c;
  REQUIRE(c.Open(path, 100).ok());
  NodeCounter::Row row;
  REQUIRE(c.Get("e", &row).ok());
  return row.taken;
}
}  // namespace

TEST_CASE("takes stop at the allotment; give-backs and returned tickets reopen it") {
  NodeCounter c;
  REQUIRE(c.Open(TempDb(), 100).ok());
  REQUIRE(c.Ensure("e", 3).ok());
  REQUIRE(c.Ensure("e", 99).ok());  // idempotent: the first allotment stays
  for (int i = 0; i < 3; i++) CHECK(c.TakeOne("e") == NodeCounter::Take::kTaken);
  CHECK(c.TakeOne("e") == NodeCounter::Take::kExhausted);
  c.GiveBack("e");  // into this process's lease: the file still counts it
  CHECK(c.Leased("e") == 1);
  CHECK(c.TakeOne("e") == NodeCounter::Take::kTaken);
  CHECK(c.Leased("e") == 0);
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
  std::string path = DbWithEvent(10);
  {
    NodeCounter c;
    REQUIRE(c.Open(path, 100).ok());
    for (int i = 0; i < 7; i++) REQUIRE(c.TakeOne("e") == NodeCounter::Take::kTaken);
  }
  CHECK(TakenInFile(path) == 7);
}

TEST_CASE("a take leases a block; the lease sells without the file and goes back on close") {
  std::string path = DbWithEvent(1000);
  {
    NodeCounter c;
    REQUIRE(c.Open(path, 100, 1).ok());
    NodeCounter::Row row;
    REQUIRE(c.TakeOne("e") == NodeCounter::Take::kTaken);
    REQUIRE(c.Get("e", &row).ok());
    CHECK(row.taken == NodeCounter::kMaxBlock);  // 1000 / 8 left, capped
    CHECK(c.Leased("e") == NodeCounter::kMaxBlock - 1);
    for (int i = 1; i < NodeCounter::kMaxBlock; i++) REQUIRE(c.TakeOne("e") == NodeCounter::Take::kTaken);
    REQUIRE(c.Get("e", &row).ok());
    CHECK(row.taken == NodeCounter::kMaxBlock);  // the whole block sold from memory
    CHECK(c.Leased("e") == 0);
    REQUIRE(c.TakeOne("e") == NodeCounter::Take::kTaken);
    REQUIRE(c.Get("e", &row).ok());
    CHECK(row.taken == 2 * NodeCounter::kMaxBlock);
  }
  CHECK(TakenInFile(path) == NodeCounter::kMaxBlock + 1);  // the unsold rest of the lease came back
}

TEST_CASE("one event's lease goes back alone (what a sold-out answer does)") {
  NodeCounter c;
  REQUIRE(c.Open(TempDb(), 100).ok());
  REQUIRE(c.Ensure("e", 1000).ok());
  REQUIRE(c.Ensure("f", 1000).ok());
  REQUIRE(c.TakeOne("e") == NodeCounter::Take::kTaken);
  REQUIRE(c.TakeOne("f") == NodeCounter::Take::kTaken);
  c.GiveBack("e");
  CHECK(c.Leased("e") == NodeCounter::kMaxBlock);
  REQUIRE(c.ReturnLease("e").ok());
  NodeCounter::Row row;
  REQUIRE(c.Get("e", &row).ok());
  CHECK(row.taken == 0);
  CHECK(c.Leased("e") == 0);
  REQUIRE(c.Get("f", &row).ok());
  CHECK(row.taken == NodeCounter::kMaxBlock);  // f's lease is untouched
  CHECK(c.Leased("f") == NodeCounter::kMaxBlock - 1);
}

TEST_CASE("blocks shrink as the allotment runs out: the other process is never left holding much") {
  std::string path = TempDb();
  NodeCounter a, b;
  REQUIRE(a.Open(path, 100, 2).ok());
  REQUIRE(b.Open(path, 100, 2).ok());
  REQUIRE(a.Ensure("e", 100).ok());
  int sold = 0;
  bool a_out = false, b_out = false;
  while (!a_out || !b_out) {
    if (!a_out) {
      if (a.TakeOne("e") == NodeCounter::Take::kTaken) sold++;
      else { a_out = true; CHECK(b.Leased("e") <= 1); }
    }
    if (!b_out) {
      if (b.TakeOne("e") == NodeCounter::Take::kTaken) sold++;
      else { b_out = true; CHECK(a.Leased("e") <= 1); }
    }
  }
  CHECK(sold == 100);
}

TEST_CASE("four processes taking at once never exceed the allotment") {
  std::string path = DbWithEvent(500);
  int pipes[4][2];
  pid_t pids[4];
  for (int p = 0; p < 4; p++) {
    REQUIRE(pipe(pipes[p]) == 0);
    pids[p] = fork();
    REQUIRE(pids[p] >= 0);
    if (pids[p] == 0) {
      NodeCounter c;
      if (!c.Open(path, 5000, 4).ok()) _exit(2);
      int taken = 0;
      while (c.TakeOne("e") == NodeCounter::Take::kTaken) taken++;
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
  CHECK(TakenInFile(path) == 500);
}

TEST_CASE("a killed process loses at most one block of the node's allotment") {
  std::string path = DbWithEvent(10000);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    NodeCounter c;
    if (!c.Open(path, 100).ok() || c.TakeOne("e") != NodeCounter::Take::kTaken) _exit(2);
    _exit(0);  // no destructor: as if killed with its lease
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WEXITSTATUS(status) == 0);
  CHECK(TakenInFile(path) == NodeCounter::kMaxBlock);  // one sold, the rest of its block lost
}
