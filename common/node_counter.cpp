#include "common/node_counter.h"

#include <unistd.h>

#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/clock.h"

namespace seckill {

thread_local uint64_t g_sqlite_waits = 0;

namespace {

// A busy handler that polls every 50 µs instead of SQLite's default sleeps of
// 1, 2, 5 … ms: takes hold the lock for microseconds, so a short poll keeps
// the latency of a contended take low. Gives up after busy_ms.
int BusyPoll(void* arg, int count) {
  static thread_local int64_t deadline;
  int busy_ms = *static_cast<int*>(arg);
  if (count == 0) deadline = MonoMillis() + busy_ms;
  if (MonoMillis() >= deadline) return 0;
  g_sqlite_waits++;
  struct timespec ts = {0, 50 * 1000};
  nanosleep(&ts, nullptr);
  return 1;
}

// The counter's columns, read by NodeCounter and NodeCounterReader alike.
constexpr char kSelectAll[] = "SELECT event, allotment, taken, returned FROM counter ORDER BY event";
constexpr char kSelectOne[] = "SELECT allotment, taken, returned FROM counter WHERE event = ?1";

// Reads allotment, taken, returned from `st`'s columns first, first+1, first+2.
NodeCounter::Row RowAt(sqlite3_stmt* st, int first) {
  NodeCounter::Row r;
  r.allotment = sqlite3_column_int64(st, first);
  r.taken = sqlite3_column_int64(st, first + 1);
  r.returned = sqlite3_column_int64(st, first + 2);
  return r;
}

// Steps `st` (kSelectAll) to its end, appending every row. Returns the last
// sqlite3_step code: SQLITE_DONE when every row was read.
int StepAll(sqlite3_stmt* st, std::vector<std::pair<std::string, NodeCounter::Row>>* rows) {
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    rows->emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), RowAt(st, 1));
  return rc;
}

// The Status of a failed read: "busy" when a lock outlasted the timeout.
Status ReadFailure(const std::string& path, int rc, const char* what) {
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    return Status::Unavailable("sqlite " + path + " " + what + ": busy, locked past the busy timeout");
  return Status::Unavailable("sqlite " + path + " " + what + ": " + sqlite3_errstr(rc));
}

}  // namespace

NodeCounter::~NodeCounter() {
  if (db_) ReturnLeases();
  for (sqlite3_stmt* st : {ensure_, left_, take_, give_back_, see_returned_, get_}) sqlite3_finalize(st);
  if (db_) sqlite3_close(db_);
}

Status NodeCounter::Open(const std::string& path, int busy_ms, int processes) {
  busy_ms_ = busy_ms;
  spread_ = 8 * static_cast<int64_t>(std::max(processes, 1));
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    return Status::Unavailable("sqlite " + path + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
  }
  sqlite3_busy_handler(db_, BusyPoll, &busy_ms_);
  const char* setup =
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=NORMAL;"
      "CREATE TABLE IF NOT EXISTS counter("
      "  event TEXT PRIMARY KEY,"
      "  allotment INTEGER NOT NULL,"
      "  taken INTEGER NOT NULL DEFAULT 0,"
      "  returned INTEGER NOT NULL DEFAULT 0,"
      "  generation INTEGER NOT NULL DEFAULT 0)";
  // Two processes of a node starting at once may both set the file up:
  // switching to WAL can answer SQLITE_BUSY without calling the busy
  // handler, so the set-up is retried for up to busy_ms.
  char* err = nullptr;
  int rc = SQLITE_OK;
  for (int waited = 0;; waited += 10) {
    sqlite3_free(err);
    err = nullptr;
    rc = sqlite3_exec(db_, setup, nullptr, nullptr, &err);
    if (rc == SQLITE_OK) {
      Status added = AddGenerationColumn();
      if (!added.ok()) {
        sqlite3_free(err);
        err = sqlite3_mprintf("%s", added.message().c_str());
        rc = SQLITE_BUSY;  // retried like the set-up: another process may be adding it
      }
    }
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited >= busy_ms) break;
    usleep(10000);
  }
  if (rc != SQLITE_OK) {
    Status st = Status::Unavailable("sqlite " + path + ": " + (err ? err : "setup failed"));
    sqlite3_free(err);
    return st;
  }
  struct { sqlite3_stmt** st; const char* sql; } stmts[] = {
      // A row of another generation starts again; one of generation 0
      // (unknown) adopts the generation and keeps its counts (Ensure).
      {&ensure_,
       "INSERT INTO counter(event, allotment, generation) VALUES(?1, ?2, ?3) "
       "ON CONFLICT(event) DO UPDATE SET "
       "  allotment = CASE WHEN generation = 0 THEN allotment ELSE excluded.allotment END,"
       "  taken = CASE WHEN generation = 0 THEN taken ELSE 0 END,"
       "  returned = CASE WHEN generation = 0 THEN returned ELSE 0 END,"
       "  generation = excluded.generation "
       "WHERE excluded.generation <> 0 AND generation <> excluded.generation"},
      {&left_, "SELECT allotment + returned - taken, generation FROM counter WHERE event = ?1"},
      {&take_, "UPDATE counter SET taken = taken + ?2 WHERE event = ?1"},
      {&give_back_, "UPDATE counter SET taken = taken - ?2 WHERE event = ?1 AND taken >= ?2 AND generation = ?3"},
      {&see_returned_, "UPDATE counter SET returned = ?2 WHERE event = ?1 AND returned < ?2"},
      {&get_, "SELECT allotment, taken, returned, generation FROM counter WHERE event = ?1"},
  };
  for (auto& s : stmts) {
    if (sqlite3_prepare_v3(db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.st, nullptr) != SQLITE_OK)
      return Status::Internal(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
  }
  return Status::Ok();
}

// A file made before the generation column gets it (default 0: unknown).
// Two processes may race to add it: "duplicate column" means the other won.
Status NodeCounter::AddGenerationColumn() {
  sqlite3_stmt* probe = nullptr;
  int rc = sqlite3_prepare_v2(db_, "SELECT generation FROM counter LIMIT 0", -1, &probe, nullptr);
  sqlite3_finalize(probe);
  if (rc == SQLITE_OK) return Status::Ok();
  char* err = nullptr;
  rc = sqlite3_exec(db_, "ALTER TABLE counter ADD COLUMN generation INTEGER NOT NULL DEFAULT 0", nullptr, nullptr, &err);
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  if (rc == SQLITE_OK || msg.find("duplicate column") != std::string::npos) return Status::Ok();
  return Status::Unavailable("adding the generation column: " + msg);
}

Status NodeCounter::Step(sqlite3_stmt* st, const char* what) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  return Status::Unavailable(std::string("sqlite ") + what + ": " + sqlite3_errstr(rc));
}

Status NodeCounter::Ensure(const std::string& event, int64_t allotment, int64_t generation) {
  sqlite3_bind_text(ensure_, 1, event.data(), static_cast<int>(event.size()), SQLITE_STATIC);
  sqlite3_bind_int64(ensure_, 2, allotment);
  sqlite3_bind_int64(ensure_, 3, generation);
  Status st = Step(ensure_, "ensure");
  // A lease of another generation was taken from a row that is gone: it is
  // dropped, never given back to the new one.
  auto it = leased_.find(event);
  if (st.ok() && generation != 0 && it != leased_.end() && it->second.generation != generation) leased_.erase(it);
  return st;
}

Status NodeCounter::Exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  Status st = rc == SQLITE_OK ? Status::Ok() : Status::Unavailable(std::string("sqlite ") + sql + ": " + (err ? err : sqlite3_errstr(rc)));
  sqlite3_free(err);
  return st;
}

NodeCounter::Take NodeCounter::TakeOne(const std::string& event) {
  auto it = leased_.find(event);
  if (it != leased_.end() && it->second.tickets > 0) {
    it->second.tickets--;
    return Take::kTaken;
  }
  if (leased_.size() > 10000) ReturnLeases();  // bound the map; the leases go back to the file
  int64_t got = 0;
  return TakeBlock(event, &got);
}

// One write transaction: reads what the node has left and takes a block of it.
// The block's tickets but the one taken now become the lease, of the row's
// generation.
NodeCounter::Take NodeCounter::TakeBlock(const std::string& event, int64_t* got) {
  *got = 0;
  if (!Exec("BEGIN IMMEDIATE").ok()) {  // waits for the lock through BusyPoll
    busy_++;
    return Take::kBusy;
  }
  sqlite3_bind_text(left_, 1, event.data(), static_cast<int>(event.size()), SQLITE_STATIC);
  int rc = sqlite3_step(left_);
  int64_t left = rc == SQLITE_ROW ? sqlite3_column_int64(left_, 0) : 0;
  int64_t generation = rc == SQLITE_ROW ? sqlite3_column_int64(left_, 1) : 0;
  sqlite3_reset(left_);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    Exec("ROLLBACK");
    busy_++;
    return Take::kBusy;
  }
  if (left <= 0) {
    Exec("ROLLBACK");
    return Take::kExhausted;
  }
  int64_t block = std::clamp<int64_t>(left / spread_, 1, kMaxBlock);
  sqlite3_bind_text(take_, 1, event.data(), static_cast<int>(event.size()), SQLITE_STATIC);
  sqlite3_bind_int64(take_, 2, block);
  if (!Step(take_, "take").ok() || !Exec("COMMIT").ok()) {
    Exec("ROLLBACK");
    busy_++;
    return Take::kBusy;
  }
  *got = block;
  Lease& lease = leased_[event];
  if (lease.generation != generation) lease.tickets = 0;  // of a row that is gone (Ensure)
  lease.generation = generation;
  lease.tickets += block - 1;
  return Take::kTaken;
}

// The ticket joins the lease of the generation it was taken from (the lease
// entry exists since its TakeBlock, unless Ensure dropped it meanwhile).
void NodeCounter::GiveBack(const std::string& event) {
  auto it = leased_.find(event);
  if (it != leased_.end()) it->second.tickets++;
}

int64_t NodeCounter::Leased(const std::string& event) const {
  auto it = leased_.find(event);
  return it == leased_.end() ? 0 : it->second.tickets;
}

int64_t NodeCounter::LeasedTotal() const {
  int64_t n = 0;
  for (const auto& lease : leased_) n += lease.second.tickets;
  return n;
}

Status NodeCounter::ReturnLeases() { return ReturnLeases(nullptr); }

Status NodeCounter::ReturnLease(const std::string& event) { return ReturnLeases(&event); }

// Gives back the lease of `only`, or of every event: one write transaction.
Status NodeCounter::ReturnLeases(const std::string* only) {
  if (only ? Leased(*only) == 0 : LeasedTotal() == 0) return Status::Ok();
  Status st = Exec("BEGIN IMMEDIATE");
  if (!st.ok()) return st;
  for (const auto& [event, lease] : leased_) {
    if (lease.tickets <= 0 || (only && event != *only)) continue;
    sqlite3_bind_text(give_back_, 1, event.data(), static_cast<int>(event.size()), SQLITE_STATIC);
    sqlite3_bind_int64(give_back_, 2, lease.tickets);
    sqlite3_bind_int64(give_back_, 3, lease.generation);
    st = Step(give_back_, "return leases");
    if (!st.ok()) {
      Exec("ROLLBACK");
      return st;
    }
  }
  st = Exec("COMMIT");
  if (!st.ok()) {
    Exec("ROLLBACK");
    return st;
  }
  if (only) leased_.erase(*only);
  else leased_.clear();
  return Status::Ok();
}

Status NodeCounter::SeeReturned(const std::string& event, int64_t returned) {
  sqlite3_bind_text(see_returned_, 1, event.data(), static_cast<int>(event.size()), SQLITE_STATIC);
  sqlite3_bind_int64(see_returned_, 2, returned);
  return Step(see_returned_, "see returned");
}

Status NodeCounter::Get(const std::string& event, Row* row) {
  sqlite3_bind_text(get_, 1, event.data(), static_cast<int>(event.size()), SQLITE_STATIC);
  int rc = sqlite3_step(get_);
  if (rc == SQLITE_ROW) {
    *row = RowAt(get_, 0);
    row->generation = sqlite3_column_int64(get_, 3);
  }
  sqlite3_reset(get_);
  if (rc == SQLITE_ROW) return Status::Ok();
  if (rc == SQLITE_DONE) return Status::NotFound("node has no counter for " + event);
  return Status::Unavailable(std::string("sqlite get: ") + sqlite3_errstr(rc));
}

Status NodeCounter::All(std::vector<std::pair<std::string, Row>>* rows) {
  rows->clear();
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, kSelectAll, -1, &st, nullptr) != SQLITE_OK)
    return Status::Unavailable(std::string("sqlite: ") + sqlite3_errmsg(db_));
  int rc = StepAll(st, rows);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? Status::Ok() : Status::Unavailable(std::string("sqlite: ") + sqlite3_errstr(rc));
}

void NodeCounter::TakeStats(uint64_t* busy, uint64_t* retries) {
  *busy = busy_;
  *retries = g_sqlite_waits;
  busy_ = 0;
  g_sqlite_waits = 0;
}

// ---- NodeCounterReader: the read-only view ---------------------------------

NodeCounterReader::~NodeCounterReader() {
  if (db_) sqlite3_close(db_);
}

Status NodeCounterReader::Open(const std::string& path, int busy_ms) {
  path_ = path;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("sqlite " + path + ": no such file");
    return Status::Unavailable("sqlite " + path + ": " + strerror(errno));
  }
  // READONLY without CREATE: SQLite neither creates the file nor writes it.
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    Status err = Status::Unavailable("sqlite " + path + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
    sqlite3_close(db_);
    db_ = nullptr;
    return err;
  }
  sqlite3_busy_timeout(db_, busy_ms);
  return Status::Ok();
}

Status NodeCounterReader::Prepare(const char* sql, sqlite3_stmt** st) {
  *st = nullptr;
  if (!db_) return Status::Unavailable("sqlite " + path_ + ": not open");
  int rc = sqlite3_prepare_v2(db_, sql, -1, st, nullptr);
  if (rc == SQLITE_OK) return Status::Ok();
  if (rc != SQLITE_ERROR) return ReadFailure(path_, rc, "read");
  // SQLITE_ERROR: most likely no counter table yet. Make sure of it.
  sqlite3_stmt* has = nullptr;
  rc = sqlite3_prepare_v2(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'counter'", -1, &has, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(has);
  sqlite3_finalize(has);
  if (rc == SQLITE_DONE) return Status::NotFound("sqlite " + path_ + ": no counter table");
  if (rc == SQLITE_ROW) return Status::Internal("sqlite " + path_ + ": cannot read the counter table: " + sqlite3_errmsg(db_));
  return ReadFailure(path_, rc, "read");
}

Status NodeCounterReader::Get(const std::string& event, NodeCounter::Row* row) {
  sqlite3_stmt* st = nullptr;
  Status s = Prepare(kSelectOne, &st);
  if (!s.ok()) return s;
  sqlite3_bind_text(st, 1, event.data(), static_cast<int>(event.size()), SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *row = RowAt(st, 0);
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW) return Status::Ok();
  if (rc == SQLITE_DONE) return Status::NotFound("node has no counter for " + event);
  return ReadFailure(path_, rc, "get");
}

Status NodeCounterReader::All(std::vector<std::pair<std::string, NodeCounter::Row>>* rows) {
  rows->clear();
  sqlite3_stmt* st = nullptr;
  Status s = Prepare(kSelectAll, &st);
  if (s.code() == Status::Code::kNotFound) return Status::Ok();
  if (!s.ok()) return s;
  int rc = StepAll(st, rows);
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return Status::Ok();
  rows->clear();
  return ReadFailure(path_, rc, "read");
}

}  // namespace seckill
