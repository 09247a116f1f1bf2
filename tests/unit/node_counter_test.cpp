// node_counter_test — the node counter on a real SQLite file: allotment,
// give-back, returned tickets, durability across reopen, blocks and leases,
// and atomic takes from several processes at once; an event id created again
// (a new generation) starts its row anew, in this process and in another
// one, whose old lease never goes back into the new row; a file made before
// the generation column gets it and keeps its counts. Then the read-only
// reader: it sees what a writer committed; it creates no file and no table
// and leaves the database file's bytes as they were; it reads while a writer
// holds the write lock; it says "busy" when the file is locked exclusively.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
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

TEST_CASE("an event id created again (a new generation) starts its row anew; the same one keeps it") {
  NodeCounter c;
  REQUIRE(c.Open(TempDb(), 100).ok());
  REQUIRE(c.Ensure("e", 3, 1000).ok());
  for (int i = 0; i < 3; i++) REQUIRE(c.TakeOne("e") == NodeCounter::Take::kTaken);
  REQUIRE(c.SeeReturned("e", 2).ok());
  REQUIRE(c.Ensure("e", 99, 1000).ok());  // the same creation: nothing changes
  NodeCounter::Row row;
  REQUIRE(c.Get("e", &row).ok());
  CHECK(row.allotment == 3);
  CHECK(row.taken == 3);
  CHECK(row.returned == 2);
  CHECK(row.generation == 1000);
  REQUIRE(c.Ensure("e", 5, 0).ok());  // generation unknown: never a reset
  REQUIRE(c.Get("e", &row).ok());
  CHECK(row.taken == 3);
  CHECK(row.generation == 1000);

  REQUIRE(c.Ensure("e", 5, 2000).ok());  // created again, with 5 for this node
  REQUIRE(c.Get("e", &row).ok());
  CHECK(row.allotment == 5);
  CHECK(row.taken == 0);
  CHECK(row.returned == 0);
  CHECK(row.generation == 2000);
  for (int i = 0; i < 5; i++) CHECK(c.TakeOne("e") == NodeCounter::Take::kTaken);
  CHECK(c.TakeOne("e") == NodeCounter::Take::kExhausted);
}

TEST_CASE("a lease of the old generation is dropped, never given back into the new row") {
  std::string path = TempDb();
  NodeCounter a, b;  // two processes of the node
  REQUIRE(a.Open(path, 100, 1).ok());
  REQUIRE(b.Open(path, 100, 1).ok());
  REQUIRE(a.Ensure("e", 1000, 1).ok());
  REQUIRE(a.TakeOne("e") == NodeCounter::Take::kTaken);
  REQUIRE(b.TakeOne("e") == NodeCounter::Take::kTaken);
  REQUIRE(a.Leased("e") > 0);
  REQUIRE(b.Leased("e") > 0);
  // a sees the event created again and resets the row; b does not know yet.
  REQUIRE(a.Ensure("e", 100, 2).ok());
  CHECK(a.Leased("e") == 0);
  REQUIRE(a.TakeOne("e") == NodeCounter::Take::kTaken);
  NodeCounter::Row row;
  REQUIRE(a.Get("e", &row).ok());
  const int64_t taken = row.taken;  // a's new block
  CHECK(taken == 100 / 8);
  // b's lease is of generation 1: given back, it leaves the new row alone.
  REQUIRE(b.ReturnLeases().ok());
  CHECK(b.Leased("e") == 0);
  REQUIRE(a.Get("e", &row).ok());
  CHECK(row.taken == taken);
  // b's next block comes from the new row and goes back to it.
  REQUIRE(b.TakeOne("e") == NodeCounter::Take::kTaken);
  REQUIRE(b.ReturnLeases().ok());
  REQUIRE(a.Get("e", &row).ok());
  CHECK(row.taken == taken + 1);
  // b learns of the new generation itself: its lease of it is kept.
  REQUIRE(b.TakeOne("e") == NodeCounter::Take::kTaken);
  const int64_t leased = b.Leased("e");
  REQUIRE(b.Ensure("e", 100, 2).ok());
  CHECK(b.Leased("e") == leased);
}

TEST_CASE("a file made before the generation column gets it and keeps its counts") {
  std::string path = TempDb();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "CREATE TABLE counter(event TEXT PRIMARY KEY, allotment INTEGER NOT NULL,"
                       " taken INTEGER NOT NULL DEFAULT 0, returned INTEGER NOT NULL DEFAULT 0);"
                       "INSERT INTO counter VALUES('e', 10, 7, 1)",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  NodeCounter c;
  REQUIRE(c.Open(path, 100).ok());
  NodeCounter::Row row;
  REQUIRE(c.Get("e", &row).ok());
  CHECK(row.taken == 7);
  CHECK(row.generation == 0);
  REQUIRE(c.Ensure("e", 50, 1234).ok());  // the row adopts the generation it is seen with
  REQUIRE(c.Get("e", &row).ok());
  CHECK(row.allotment == 10);
  CHECK(row.taken == 7);
  CHECK(row.returned == 1);
  CHECK(row.generation == 1234);
  NodeCounter again;  // a second open finds the column there
  REQUIRE(again.Open(path, 100).ok());
  NodeCounterReader reader;  // and the read-only view reads the file as before
  REQUIRE(reader.Open(path, 100).ok());
  REQUIRE(reader.Get("e", &row).ok());
  CHECK(row.taken == 7);
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

// ---- NodeCounterReader ------------------------------------------------------

namespace {
bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string Bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A plain read-write connection, to play a writer or to inspect the schema.
struct RawDb {
  sqlite3* db = nullptr;
  explicit RawDb(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db); }
  int Exec(const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); }
  // The names of the tables in the file, comma-separated, in order.
  std::string Tables() {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &st, nullptr) == SQLITE_OK);
    std::string names;
    while (sqlite3_step(st) == SQLITE_ROW) names += std::string(names.empty() ? "" : ",") + reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return names;
  }
};

int64_t Millis(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - since).count();
}
}  // namespace

TEST_CASE("the reader sees what the node's writers committed, while they are open") {
  std::string path = DbWithEvent(100);
  NodeCounter writer;
  REQUIRE(writer.Open(path, 100, 1).ok());
  REQUIRE(writer.Ensure("f", 7).ok());
  REQUIRE(writer.TakeOne("e") == NodeCounter::Take::kTaken);  // a block of 100 / 8 = 12
  REQUIRE(writer.SeeReturned("e", 3).ok());

  NodeCounterReader reader;
  REQUIRE(reader.Open(path, 50).ok());
  NodeCounter::Row row;
  REQUIRE(reader.Get("e", &row).ok());
  CHECK(row.allotment == 100);
  CHECK(row.taken == 12);
  CHECK(row.returned == 3);
  CHECK(reader.Get("nope", &row).code() == Status::Code::kNotFound);
  std::vector<std::pair<std::string, NodeCounter::Row>> rows;
  REQUIRE(reader.All(&rows).ok());
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].first == "e");
  CHECK(rows[1].first == "f");
  CHECK(rows[1].second.allotment == 7);

  REQUIRE(writer.ReturnLease("e").ok());  // a later commit is seen by the same reader
  REQUIRE(reader.Get("e", &row).ok());
  CHECK(row.taken == 1);
}

TEST_CASE("the reader of a missing file creates nothing") {
  std::string path = TempDb();  // its folder exists, the file does not
  NodeCounterReader reader;
  CHECK(reader.Open(path, 50).code() == Status::Code::kNotFound);
  NodeCounter::Row row;
  CHECK(reader.Get("e", &row).code() == Status::Code::kUnavailable);  // not open: an error, not a crash
  CHECK_FALSE(Exists(path));
  CHECK_FALSE(Exists(path + "-wal"));
  CHECK_FALSE(Exists(path + "-shm"));
  CHECK_FALSE(Exists(path + "-journal"));
}

TEST_CASE("a file without the counter table reads as absent and keeps its schema") {
  SUBCASE("an empty file") {
    std::string path = TempDb();
    { std::ofstream touch(path); }
    NodeCounterReader reader;
    REQUIRE(reader.Open(path, 50).ok());
    NodeCounter::Row row;
    CHECK(reader.Get("e", &row).code() == Status::Code::kNotFound);
    std::vector<std::pair<std::string, NodeCounter::Row>> rows = {{"stale", {}}};
    CHECK(reader.All(&rows).ok());
    CHECK(rows.empty());
    CHECK(Bytes(path).empty());  // still zero bytes: no schema was written
  }
  SUBCASE("a database with another table") {
    std::string path = TempDb();
    {
      RawDb raw(path);
      REQUIRE(raw.Exec("CREATE TABLE other(x INTEGER)") == SQLITE_OK);
    }
    std::string before = Bytes(path);
    {
      NodeCounterReader reader;
      REQUIRE(reader.Open(path, 50).ok());
      NodeCounter::Row row;
      CHECK(reader.Get("e", &row).code() == Status::Code::kNotFound);
    }
    CHECK(Bytes(path) == before);
    RawDb raw(path);
    CHECK(raw.Tables() == "other");
  }
}

TEST_CASE("reading leaves the database file's bytes as they were") {
  std::string path = DbWithEvent(100);  // every writer has closed the file
  std::string before = Bytes(path);
  REQUIRE_FALSE(before.empty());
  {
    NodeCounterReader reader;
    REQUIRE(reader.Open(path, 50).ok());
    NodeCounter::Row row;
    REQUIRE(reader.Get("e", &row).ok());
    CHECK(row.allotment == 100);
  }
  CHECK(Bytes(path) == before);
}

TEST_CASE("the reader reads the committed counts while a writer holds the write lock") {
  std::string path = DbWithEvent(100);
  RawDb writer(path);
  REQUIRE(writer.Exec("BEGIN IMMEDIATE") == SQLITE_OK);
  REQUIRE(writer.Exec("UPDATE counter SET taken = 99 WHERE event = 'e'") == SQLITE_OK);
  NodeCounterReader reader;
  REQUIRE(reader.Open(path, 1000).ok());
  NodeCounter::Row row;
  auto start = std::chrono::steady_clock::now();
  REQUIRE(reader.Get("e", &row).ok());
  CHECK(Millis(start) < 500);  // WAL: a reader does not wait for the writer
  CHECK(row.taken == 0);       // the last committed count, not the open transaction's
  REQUIRE(writer.Exec("COMMIT") == SQLITE_OK);
  REQUIRE(reader.Get("e", &row).ok());
  CHECK(row.taken == 99);
}

TEST_CASE("a file locked exclusively reads as busy after the timeout") {
  std::string path = DbWithEvent(100);
  RawDb writer(path);  // exclusive locking mode holds the file itself, not only the WAL's write lock
  REQUIRE(writer.Exec("PRAGMA locking_mode=EXCLUSIVE") == SQLITE_OK);
  REQUIRE(writer.Exec("BEGIN EXCLUSIVE") == SQLITE_OK);
  REQUIRE(writer.Exec("UPDATE counter SET taken = 5 WHERE event = 'e'") == SQLITE_OK);
  NodeCounterReader reader;
  REQUIRE(reader.Open(path, 50).ok());
  NodeCounter::Row row;
  auto start = std::chrono::steady_clock::now();
  Status st = reader.Get("e", &row);
  CHECK(st.code() == Status::Code::kUnavailable);
  CHECK(st.message().find("busy") != std::string::npos);
  CHECK(Millis(start) >= 40);
  std::vector<std::pair<std::string, NodeCounter::Row>> rows;
  CHECK(reader.All(&rows).code() == Status::Code::kUnavailable);
  REQUIRE(writer.Exec("COMMIT") == SQLITE_OK);
}
