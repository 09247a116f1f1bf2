// order_store.h — MySQL (MariaDB) behind a narrow interface: the orders,
// events and reconciler_runs tables (sql/schema.sql), written with
// Connector/C++ 1.1. Every Connector/C++ exception is caught here and
// returned as a Status.
//
// Writes are idempotent upserts, so replaying a batch changes nothing:
//   INSERT … ON DUPLICATE KEY UPDATE keeps an existing row's reservation
//   fields and takes a final status (with its time) over "reserved" only: a
//   row already paid, expired or cancelled never changes again.
// A lost connection is reopened and every prepared statement prepared again
// (OPT_RECONNECT would silently open a new session and break them); a
// deadlock or lock wait timeout retries the whole transaction.
// One OrderStore per thread.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "reconciler/order_change.h"

namespace sql {
class Connection;
class PreparedStatement;
}  // namespace sql

namespace seckill {

struct MysqlConfig {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user = "reconciler";
  std::string password;
  std::string database = "seckill";
  int timeout_s = 5;  // connect, read and write timeouts
};

struct RunRow {
  std::string host;
  int64_t started_ms = 0, finished_ms = 0, moved = 0, released = 0, lag_ms = 0, errors = 0;
  std::string message;
};

class OrderStore {
 public:
  // At most this many rows per INSERT: 10 placeholders a row stays under
  // the protocol's 65,535 placeholders per statement.
  static constexpr size_t kMaxRowsPerStatement = 5000;

  explicit OrderStore(MysqlConfig config);
  ~OrderStore();

  Status Connect();

  // Upserts `rows` in one transaction (several statements when there are
  // more than kMaxRowsPerStatement). Returns Ok only after COMMIT.
  Status WriteOrders(const std::vector<OrderRow>& rows);
  Status UpsertEvent(const EventRow& event);
  Status RecordRun(const RunRow& run);

  // Orders of `event` by status (for the audit and the tests).
  Status CountByStatus(const std::string& event, std::map<std::string, int64_t>* counts);

  // --- Reads for rebuilding Redis (reconciler/redis_rebuild.h) ---
  // Each read is its own transaction: pages of one event read at different
  // times are consistent only while nothing writes that event's rows.

  // The events table, by id; only the row of `only` when it is not empty
  // (then *events may come back empty: no such event).
  Status ReadEvents(const std::string& only, std::vector<EventRow>* events);

  // Up to `limit` orders of `event`, by order id, whose id is greater than
  // `after` ("" for the first page); times in ms, 0 for NULL. Order ids
  // start with "<event>-" (common/ids.h), which bounds the primary-key scan.
  Status ReadOrders(const std::string& event, const std::string& after, size_t limit, std::vector<OrderRow>* rows);

  // The users of `event` that hold tickets (reserved or paid), a page at a
  // time: those whose id is greater than `after` ("" for the first page) in
  // the column's case-insensitive order, up to `limit` ids (more when ids
  // differ only in case); each with its held order ids space-separated in
  // the order they were reserved (the value of ev:{E}:users, common/keys.h).
  // The next page starts after the last user returned.
  Status ReadHolders(const std::string& event, const std::string& after, size_t limit,
                     std::vector<std::pair<std::string, std::string>>* holders);

 private:
  template <typename F>
  Status WithRetry(const char* what, F&& body);
  // The upsert of `rows` rows: of new reservations only (seven columns), or
  // of rows of any status.
  sql::PreparedStatement* UpsertStatement(bool reservations, size_t rows);

  MysqlConfig config_;
  std::unique_ptr<sql::Connection> conn_;
  std::map<size_t, std::unique_ptr<sql::PreparedStatement>> upserts_;  // by row count and kind
};

}  // namespace seckill
