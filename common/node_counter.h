// node_counter.h — a node's local stock counter: its allotment of each event,
// kept in a SQLite file shared by all processes of the node (one pool).
//
//   counter(event, allotment, taken, returned, generation)
//     allotment  the node's weighted share of the stock plus the buffer
//                (ClusterConfig::Allotment), fixed when the event is first seen
//     taken      tickets this node's processes have taken: reserved, or
//                leased to a process and not sold yet
//     returned   how many of them were later released (cancelled, expired),
//                as last read from Redis (ev:{E} returned:<node>)
//     generation the event's created_at in Redis (ms, common/keys.h): which
//                creation of the event id the row counts for; 0 when unknown
//                (a row older than the column, or an event without it)
//   Tickets are taken while taken < allotment + returned.
//
// An event id created again (after Redis lost it: docs/operations.md) is a
// new event with a new created_at. The node learns it from the data it reads
// anyway, the event's hash in Redis, so it works for nodes on any host: a
// worker that sees a generation other than its row's resets the row
// (Ensure: the new allotment, taken and returned 0) and drops its lease of the
// old generation; a lease is given back only to the generation it came from.
// A rebuild from MySQL (--rebuild-redis) keeps created_at, so the nodes keep
// their counts across it.
//
// A process takes tickets from the file in blocks (one SQLite write
// transaction, WAL, synchronous=NORMAL, atomic across the node's processes)
// and sells them one by one from its lease, in memory: most reservations
// never touch the file. A block is 1/(8 × processes) of what the node has
// left, at most kMaxBlock, at least one, so blocks shrink as the allotment
// runs out and a process never sits on much of the node's remainder. `taken`
// counts the leased tickets too. A lease goes back to the file when Redis
// says the event is sold out (ReturnLease) and when the process ends cleanly
// (destructor, ReturnLeases); a killed process loses at most one block of the
// node's allotment, which the buffer absorbs (the allotments add up to more
// than the stock; Redis alone prevents overselling).
// A restarted process carries on from the node's count. Released tickets
// become sellable again through `returned`, which only grows; the file is
// never touched by anything but the node's own processes (no sharing
// between hosts).
//
// One NodeCounter per process (it owns a sqlite3 connection); not thread-safe.
//
// NodeCounterReader only looks: it opens the database file read-only
// (SQLITE_OPEN_READONLY; the file descriptor is O_RDONLY), never creates the
// file or the table and never writes a row, so anything that reports on a
// node (the operator status) can read its counts while the node's processes
// sell. WAL lets it read the last committed counts while a process holds the
// write lock. As every WAL reader must, SQLite opens the -wal and -shm side
// files read-write (a reader records its read mark in the WAL index) and
// creates them, empty, if no process of the node has the file open; the next
// writer reuses them. Not thread-safe.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"

namespace seckill {

class NodeCounter {
 public:
  static constexpr int64_t kMaxBlock = 32;

  enum class Take {
    kTaken,      // one ticket of the allotment is now this request's
    kExhausted,  // the allotment (plus returned) is used up
    kBusy,       // the file stayed locked past the busy timeout, or I/O failed
  };

  struct Row {
    int64_t allotment = 0, taken = 0, returned = 0;
    int64_t generation = 0;  // read by NodeCounter::Get only (the reader leaves it 0)
  };

  NodeCounter() = default;
  ~NodeCounter();
  NodeCounter(const NodeCounter&) = delete;
  NodeCounter& operator=(const NodeCounter&) = delete;

  // Opens (creating if needed) the node's database at `path`, adding the
  // generation column to a file made before it. `busy_ms` bounds how long a
  // take waits for another process's lock; `processes` is how many processes
  // of the node share the file (it sizes the blocks).
  Status Open(const std::string& path, int busy_ms, int processes = 1);

  // Makes the event's row count for `generation` (the event's created_at,
  // top of this file): creates it with `allotment` if missing; resets it to
  // `allotment`, taken 0, returned 0 if it counts for another generation (and
  // this process's lease of the event goes, unreturned); leaves it alone if
  // it counts for this one. A `generation` of 0 (unknown) never resets, and a
  // row of generation 0 adopts the given one with its counts. Idempotent.
  Status Ensure(const std::string& event, int64_t allotment, int64_t generation = 0);

  // Takes one ticket: from this process's lease, or else a new block from
  // the file.
  Take TakeOne(const std::string& event);

  // Undoes one TakeOne whose reservation failed in Redis: the ticket goes
  // back to this process's lease.
  void GiveBack(const std::string& event);

  // Gives every leased ticket back to the file. Called by the destructor.
  Status ReturnLeases();

  // Gives the event's leased tickets back to the file (when Redis says the
  // event is sold out, so the node's count does not keep them).
  Status ReturnLease(const std::string& event);

  // Tickets this process holds leased for `event` (taken, not yet sold), and
  // for all events.
  int64_t Leased(const std::string& event) const;
  int64_t LeasedTotal() const;

  // Raises `returned` to `returned` if it is lower. Returns Ok either way.
  Status SeeReturned(const std::string& event, int64_t returned);

  // Reads the event's row, its generation included. NotFound when the node
  // has not seen the event.
  Status Get(const std::string& event, Row* row);

  // Reads every row (for the metrics; without the generation).
  Status All(std::vector<std::pair<std::string, Row>>* rows);

  // Takes that found the file locked past the busy timeout, and waits for
  // another process's lock, since the last call (for the metrics).
  void TakeStats(uint64_t* busy, uint64_t* retries);

 private:
  Status Step(sqlite3_stmt* st, const char* what);
  Status Exec(const char* sql);
  Take TakeBlock(const std::string& event, int64_t* got);
  Status ReturnLeases(const std::string* only);
  Status AddGenerationColumn();
  struct Lease {
    int64_t tickets = 0;     // taken from the file, not sold yet
    int64_t generation = 0;  // of the row they were taken from
  };
  sqlite3* db_ = nullptr;
  sqlite3_stmt* ensure_ = nullptr;
  sqlite3_stmt* left_ = nullptr;
  sqlite3_stmt* take_ = nullptr;
  sqlite3_stmt* give_back_ = nullptr;
  sqlite3_stmt* see_returned_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
  int busy_ms_ = 100;
  int64_t spread_ = 8;  // a block is what the node has left / spread_
  std::unordered_map<std::string, Lease> leased_;
  uint64_t busy_ = 0;  // since the last TakeStats
};

// A read-only view of a node's counter file (see the top of this file).
class NodeCounterReader {
 public:
  NodeCounterReader() = default;
  ~NodeCounterReader();
  NodeCounterReader(const NodeCounterReader&) = delete;
  NodeCounterReader& operator=(const NodeCounterReader&) = delete;

  // Opens the node's file at `path` read-only; `busy_ms` bounds how long a
  // read waits for a lock. NotFound when there is no such file (nothing is
  // created); Unavailable when it cannot be opened.
  Status Open(const std::string& path, int busy_ms);

  // Reads the event's row. NotFound when the file has no counter table (no
  // process has opened it as a NodeCounter yet) or no row for the event;
  // Unavailable, with "busy" in the message, when the file stayed locked past
  // the busy timeout, and on I/O errors.
  Status Get(const std::string& event, NodeCounter::Row* row);

  // Reads every row, ordered by event; none when there is no counter table.
  Status All(std::vector<std::pair<std::string, NodeCounter::Row>>* rows);

 private:
  // Prepares `sql`; NotFound when the counter table does not exist.
  Status Prepare(const char* sql, sqlite3_stmt** st);
  sqlite3* db_ = nullptr;
  std::string path_;
};

// The busy handler's count of waits, for NodeCounter::TakeStats.
extern thread_local uint64_t g_sqlite_waits;

}  // namespace seckill
