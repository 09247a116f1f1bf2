#include "reconciler/order_store.h"

#include <cstdio>
#include <ctime>

#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

namespace seckill {
namespace {

// MySQL error codes that mean "run the transaction again".
bool IsRetryable(int code) { return code == 1213 /* deadlock */ || code == 1205 /* lock wait timeout */; }
// Client error codes (CR_*) that mean the connection is gone.
bool IsConnectionLost(int code) {
  return code == 2006 /* server gone away */ || code == 2013 /* lost connection */ ||
         code == 2055 || code == 2002 || code == 2003 || code == 4031 /* disconnected by server */;
}

// A DATETIME(3) parameter, as the UTC text MySQL parses ("2026-11-22
// 02:29:27.740"): cheaper for the server than FROM_UNIXTIME(?/1000). A ms of
// 0 is NULL.
void SetDatetime(sql::PreparedStatement* ps, int index, int64_t ms) {
  if (ms <= 0) {
    ps->setNull(index, sql::DataType::VARCHAR);
    return;
  }
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm t;
  gmtime_r(&secs, &t);
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
           t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(ms % 1000));
  ps->setString(index, buf);
}

// Milliseconds since the epoch of a UTC DATETIME(3) column, in SQL (the
// session's time_zone is '+00:00'); NULL stays NULL.
std::string MillisOf(const char* column) {
  return std::string("CAST(UNIX_TIMESTAMP(") + column + ") * 1000 AS SIGNED)";
}

int64_t MillisAt(sql::ResultSet* rs, int index) { return rs->isNull(index) ? 0 : rs->getInt64(index); }

// MySQL's orders.status holds the names of common/order_status.h (an ENUM
// of sql/schema.sql); anything else would be a schema this code does not know.
OrderStatus StatusFromName(const std::string& name) {
  OrderStatus s = OrderStatus::kReserved;
  ParseOrderStatus(name, &s);
  return s;
}

}  // namespace

OrderStore::OrderStore(MysqlConfig config) : config_(std::move(config)) {}
OrderStore::~OrderStore() {
  upserts_.clear();
  conn_.reset();
}

Status OrderStore::Connect() {
  upserts_.clear();
  conn_.reset();
  try {
    sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
    sql::ConnectOptionsMap opts;
    opts["hostName"] = sql::SQLString("tcp://" + config_.host + ":" + std::to_string(config_.port));
    opts["userName"] = sql::SQLString(config_.user);
    opts["password"] = sql::SQLString(config_.password);
    opts["schema"] = sql::SQLString(config_.database);
    opts["OPT_CONNECT_TIMEOUT"] = config_.timeout_s;
    opts["OPT_READ_TIMEOUT"] = config_.timeout_s * 6;
    opts["OPT_WRITE_TIMEOUT"] = config_.timeout_s * 6;
    opts["OPT_RECONNECT"] = false;
    opts["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    conn_.reset(driver->connect(opts));
    conn_->setAutoCommit(false);
    std::unique_ptr<sql::Statement> st(conn_->createStatement());
    st->execute("SET time_zone = '+00:00'");
    conn_->commit();
    return Status::Ok();
  } catch (const sql::SQLException& e) {
    conn_.reset();
    return Status::Unavailable("mysql " + config_.host + ":" + std::to_string(config_.port) + ": " + e.what());
  }
}

template <typename F>
Status OrderStore::WithRetry(const char* what, F&& body) {
  std::string last;
  for (int attempt = 0; attempt < 4; attempt++) {
    if (!conn_) {
      Status st = Connect();
      if (!st.ok()) return st;
    }
    try {
      body();
      conn_->commit();
      return Status::Ok();
    } catch (const sql::SQLException& e) {
      last = std::string(what) + ": " + e.what() + " (" + std::to_string(e.getErrorCode()) + ")";
      if (IsConnectionLost(e.getErrorCode())) {
        conn_.reset();  // reopened, and statements prepared again, on the next attempt
        upserts_.clear();
        continue;
      }
      try { conn_->rollback(); } catch (const sql::SQLException&) { conn_.reset(); upserts_.clear(); }
      if (IsRetryable(e.getErrorCode())) continue;
      return Status::Internal("mysql " + last);
    }
  }
  return Status::Unavailable("mysql " + last);
}

sql::PreparedStatement* OrderStore::UpsertStatement(bool reservations, size_t rows) {
  const size_t key = rows * 2 + (reservations ? 1 : 0);
  auto it = upserts_.find(key);
  if (it != upserts_.end()) return it->second.get();
  std::string q;
  if (reservations) {
    // New reservations, the bulk of a sale: seven columns, no function to
    // evaluate. A replayed reservation finds its row and changes nothing
    // (whatever status the row has reached since).
    q = "INSERT INTO orders (order_id, event_id, user_id, node, status, reserved_at, expires_at) VALUES ";
    for (size_t i = 0; i < rows; i++) q += i ? ",(?,?,?,?,'reserved',?,?)" : "(?,?,?,?,'reserved',?,?)";
    q += " ON DUPLICATE KEY UPDATE order_id = order_id";
  } else {
    q = "INSERT INTO orders (order_id, event_id, user_id, node, status, reserved_at, expires_at, "
        "paid_at, expired_at, cancelled_at) VALUES ";
    for (size_t i = 0; i < rows; i++) q += i ? ",(?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?)";
    // A final status is never overwritten by another (common/order_status.h:
    // final states are final): only a reserved row moves, with its time.
    // MySQL assigns left to right, so `status` is tested before it changes.
    q += " ON DUPLICATE KEY UPDATE"
         " paid_at = IF(status = 'reserved', VALUES(paid_at), paid_at),"
         " expired_at = IF(status = 'reserved', VALUES(expired_at), expired_at),"
         " cancelled_at = IF(status = 'reserved', VALUES(cancelled_at), cancelled_at),"
         " status = IF(status = 'reserved', VALUES(status), status)";
  }
  if (upserts_.size() >= 8) upserts_.clear();  // odd sizes of last batches: keep the cache small
  auto& slot = upserts_[key];
  slot.reset(conn_->prepareStatement(q));
  return slot.get();
}

Status OrderStore::WriteOrders(const std::vector<OrderRow>& rows) {
  if (rows.empty()) return Status::Ok();
  std::vector<const OrderRow*> reserved, other;
  for (const OrderRow& r : rows) (r.status == OrderStatus::kReserved ? reserved : other).push_back(&r);
  return WithRetry("write orders", [&] {
    for (bool reservations : {true, false}) {
      const std::vector<const OrderRow*>& part = reservations ? reserved : other;
      for (size_t start = 0; start < part.size(); start += kMaxRowsPerStatement) {
        size_t n = std::min(kMaxRowsPerStatement, part.size() - start);
        sql::PreparedStatement* ps = UpsertStatement(reservations, n);
        int p = 1;
        for (size_t i = start; i < start + n; i++) {
          const OrderRow& r = *part[i];
          ps->setString(p++, r.order_id);
          ps->setString(p++, r.event);
          ps->setString(p++, r.user);
          ps->setString(p++, r.node);
          if (!reservations) ps->setString(p++, OrderStatusName(r.status));
          SetDatetime(ps, p++, r.reserved_ms);
          SetDatetime(ps, p++, r.expires_ms);
          if (reservations) continue;
          SetDatetime(ps, p++, r.paid_ms);
          SetDatetime(ps, p++, r.expired_ms);
          SetDatetime(ps, p++, r.cancelled_ms);
        }
        ps->executeUpdate();
      }
    }
  });
}

Status OrderStore::UpsertEvent(const EventRow& e) {
  return WithRetry("upsert event", [&] {
    std::unique_ptr<sql::PreparedStatement> ps(conn_->prepareStatement(
        "INSERT INTO events (event_id, total, per_user_limit, window_seconds, price_cents, created_at, opens_at, closes_at) "
        "VALUES (?, ?, ?, ?, ?, FROM_UNIXTIME(?/1000), ?, ?) ON DUPLICATE KEY UPDATE total = VALUES(total), "
        "per_user_limit = VALUES(per_user_limit), window_seconds = VALUES(window_seconds), "
        "price_cents = VALUES(price_cents), opens_at = VALUES(opens_at), closes_at = VALUES(closes_at)"));
    ps->setString(1, e.event);
    ps->setInt64(2, e.total);
    ps->setInt64(3, e.limit);
    ps->setInt64(4, e.window_s);
    ps->setInt64(5, e.price_cents);
    ps->setInt64(6, e.created_ms > 0 ? e.created_ms : 1);
    SetDatetime(ps.get(), 7, e.opens_ms);
    SetDatetime(ps.get(), 8, e.closes_ms);
    ps->executeUpdate();
  });
}

Status OrderStore::RecordRun(const RunRow& r) {
  return WithRetry("record run", [&] {
    std::unique_ptr<sql::PreparedStatement> ps(conn_->prepareStatement(
        "INSERT INTO reconciler_runs (host, started_at, finished_at, moved, released, lag_ms, errors, message) "
        "VALUES (?, FROM_UNIXTIME(?/1000), FROM_UNIXTIME(?/1000), ?, ?, ?, ?, ?)"));
    ps->setString(1, r.host);
    ps->setInt64(2, r.started_ms);
    ps->setInt64(3, r.finished_ms);
    ps->setInt64(4, r.moved);
    ps->setInt64(5, r.released);
    ps->setInt64(6, r.lag_ms);
    ps->setInt64(7, r.errors);
    ps->setString(8, r.message.substr(0, 255));
    ps->executeUpdate();
  });
}

Status OrderStore::CountByStatus(const std::string& event, std::map<std::string, int64_t>* counts) {
  counts->clear();
  return WithRetry("count orders", [&] {
    std::unique_ptr<sql::PreparedStatement> ps(
        conn_->prepareStatement("SELECT status, COUNT(*) FROM orders WHERE event_id = ? GROUP BY status"));
    ps->setString(1, event);
    std::unique_ptr<sql::ResultSet> rs(ps->executeQuery());
    while (rs->next()) (*counts)[rs->getString(1)] = rs->getInt64(2);
  });
}

Status OrderStore::ReadEvents(const std::string& only, std::vector<EventRow>* events) {
  return WithRetry("read events", [&] {
    events->clear();
    std::string q = "SELECT event_id, total, per_user_limit, window_seconds, price_cents, " + MillisOf("created_at") +
                    ", " + MillisOf("opens_at") + ", " + MillisOf("closes_at") + " FROM events" + (only.empty() ? "" : " WHERE event_id COLLATE ascii_bin = ?") + " ORDER BY event_id";
    std::unique_ptr<sql::PreparedStatement> ps(conn_->prepareStatement(q));
    if (!only.empty()) ps->setString(1, only);
    std::unique_ptr<sql::ResultSet> rs(ps->executeQuery());
    while (rs->next()) {
      EventRow e;
      e.event = rs->getString(1);
      e.total = rs->getInt64(2);
      e.limit = rs->getInt64(3);
      e.window_s = rs->getInt64(4);
      e.price_cents = rs->getInt64(5);
      e.created_ms = MillisAt(rs.get(), 6);
      e.opens_ms = MillisAt(rs.get(), 7);
      e.closes_ms = MillisAt(rs.get(), 8);
      events->push_back(std::move(e));
    }
  });
}

Status OrderStore::ReadOrders(const std::string& event, const std::string& after, size_t limit,
                              std::vector<OrderRow>* rows) {
  return WithRetry("read orders", [&] {
    rows->clear();
    // Every order id of the event lies in ("<event>-", "<event>."): '.' follows '-'.
    // Ids are compared case-sensitively (ascii_bin), as Redis does: the
    // columns' ascii_general_ci would take "Spring" for "spring".
    std::unique_ptr<sql::PreparedStatement> ps(conn_->prepareStatement(
        "SELECT order_id, user_id, node, status, " + MillisOf("reserved_at") + ", " + MillisOf("expires_at") + ", " +
        MillisOf("paid_at") + ", " + MillisOf("expired_at") + ", " + MillisOf("cancelled_at") +
        " FROM orders FORCE INDEX (PRIMARY) WHERE order_id > ? AND order_id < ? AND event_id COLLATE ascii_bin = ?"
        " ORDER BY order_id LIMIT ?"));
    ps->setString(1, after.empty() ? event + "-" : after);
    ps->setString(2, event + ".");
    ps->setString(3, event);
    ps->setUInt64(4, limit);
    std::unique_ptr<sql::ResultSet> rs(ps->executeQuery());
    rows->reserve(limit);
    while (rs->next()) {
      OrderRow r;
      r.order_id = rs->getString(1);
      r.event = event;
      r.user = rs->getString(2);
      r.node = rs->getString(3);
      r.status = StatusFromName(rs->getString(4));
      r.reserved_ms = MillisAt(rs.get(), 5);
      r.expires_ms = MillisAt(rs.get(), 6);
      r.paid_ms = MillisAt(rs.get(), 7);
      r.expired_ms = MillisAt(rs.get(), 8);
      r.cancelled_ms = MillisAt(rs.get(), 9);
      rows->push_back(std::move(r));
    }
  });
}

Status OrderStore::ReadHolders(const std::string& event, const std::string& after, size_t limit,
                               std::vector<std::pair<std::string, std::string>>* holders) {
  return WithRetry("read holders", [&] {
    holders->clear();
    // The page is `limit` distinct user ids in the index's order, which is
    // case-insensitive (ascii_general_ci), then all their held orders. Users
    // that differ only in case ("Bob", "bob") are distinct, as in Redis: they
    // come in the same page and are told apart here.
    std::unique_ptr<sql::PreparedStatement> ps(conn_->prepareStatement(
        "SELECT o.user_id, o.order_id FROM orders o JOIN"
        " (SELECT DISTINCT user_id FROM orders WHERE event_id = ? AND user_id > ?"
        "  AND status IN ('reserved', 'paid') ORDER BY user_id LIMIT ?) page ON o.user_id = page.user_id"
        " WHERE o.event_id = ? AND o.event_id COLLATE ascii_bin = ? AND o.status IN ('reserved', 'paid')"
        " ORDER BY o.user_id, o.reserved_at, o.order_id"));
    ps->setString(1, event);
    ps->setString(2, after);
    ps->setUInt64(3, limit);
    ps->setString(4, event);
    ps->setString(5, event);
    std::unique_ptr<sql::ResultSet> rs(ps->executeQuery());
    std::map<std::string, size_t> index;  // exact user id -> its entry in *holders
    while (rs->next()) {
      std::string user = rs->getString(1), order = rs->getString(2);
      auto it = index.find(user);
      if (it == index.end()) {
        index.emplace(user, holders->size());
        holders->emplace_back(std::move(user), std::move(order));
      } else {
        (*holders)[it->second].second += " " + order;
      }
    }
  });
}

}  // namespace seckill
