// node_counter.h — a node's local stock counter: its allotment of each event,
// kept in a SQLite file shared by all processes of the node (one pool).
//
//   counter(event, allotment, taken, returned)
//     allotment  the node's weighted share of the stock plus the buffer
//                (ClusterConfig::Allotment), fixed when the event is first seen
//     taken      tickets this node has reserved, net of give-backs
//     returned   how many of them were later released (cancelled, expired),
//                as last read from Redis (ev:{E} returned:<node>)
//   A take succeeds while taken < allotment + returned.
//
// Every take is one SQLite write transaction (WAL, synchronous=NORMAL), so
// takes are atomic across the node's processes and survive a process crash: a
// restarted process carries on from the node's count. Released tickets become
// sellable again through `returned`, which only grows; the file is never
// touched by anything but the node's own processes (no sharing between hosts).
//
// One NodeCounter per process (it owns a sqlite3 connection); not thread-safe.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace seckill {

class NodeCounter {
 public:
  enum class Take {
    kTaken,      // one ticket of the allotment is now this request's
    kExhausted,  // the allotment (plus returned) is used up
    kBusy,       // the file stayed locked past the busy timeout, or I/O failed
  };

  struct Row {
    int64_t allotment = 0, taken = 0, returned = 0;
  };

  NodeCounter() = default;
  ~NodeCounter();
  NodeCounter(const NodeCounter&) = delete;
  NodeCounter& operator=(const NodeCounter&) = delete;

  // Opens (creating if needed) the node's database at `path`. `busy_ms` bounds
  // how long a take waits for another process's lock.
  Status Open(const std::string& path, int busy_ms);

  // Creates the event's row with `allotment` unless it exists. Idempotent.
  Status Ensure(const std::string& event, int64_t allotment);

  Take TakeOne(const std::string& event);

  // Undoes one TakeOne whose reservation failed in Redis.
  Status GiveBack(const std::string& event);

  // Raises `returned` to `returned` if it is lower. Returns Ok either way.
  Status SeeReturned(const std::string& event, int64_t returned);

  // Reads the event's row. NotFound when the node has not seen the event.
  Status Get(const std::string& event, Row* row);

  // Reads every row (for the metrics).
  Status All(std::vector<std::pair<std::string, Row>>* rows);

  // Takes that found the file locked past the busy timeout, and waits for
  // another process's lock, since the last call (for the metrics).
  void TakeStats(uint64_t* busy, uint64_t* retries);

 private:
  Status Step(sqlite3_stmt* st, const char* what);
  sqlite3* db_ = nullptr;
  sqlite3_stmt* ensure_ = nullptr;
  sqlite3_stmt* take_ = nullptr;
  sqlite3_stmt* give_back_ = nullptr;
  sqlite3_stmt* see_returned_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  int busy_ms_ = 100;
  uint64_t busy_ = 0;  // since the last TakeStats
};

// The busy handler's count of waits, for NodeCounter::TakeStats.
extern thread_local uint64_t g_sqlite_waits;

}  // namespace seckill
