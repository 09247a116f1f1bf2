-- schema.sql — the durable store of the sale: MariaDB 10.11 / MySQL 8,
-- InnoDB, utf8mb4. This file is migration 1; later changes are numbered
-- files in sql/migrations/ (002_….sql, …), applied in order by
-- scripts/migrate, which records each in schema_migrations.
-- Times are UTC (the reconciler sets time_zone = '+00:00').

CREATE TABLE IF NOT EXISTS schema_migrations (
  version     INT UNSIGNED NOT NULL PRIMARY KEY,
  name        VARCHAR(255) NOT NULL,
  applied_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One row per event, copied from Redis (ev:{E}) by the reconciler.
CREATE TABLE IF NOT EXISTS events (
  event_id        VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  total           INT UNSIGNED NOT NULL,         -- tickets on sale
  per_user_limit  INT UNSIGNED NOT NULL,
  window_seconds  INT UNSIGNED NOT NULL,         -- payment window
  price_cents     BIGINT NOT NULL DEFAULT 0,
  created_at      DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- (migration 004 adds opens_at and closes_at, DATETIME(3) NULL: when
-- reservations open and close; NULL: at creation, never.)

-- One row per order, the latest state of its lifecycle
-- (docs/architecture.md: reserved -> paid | expired | cancelled).
CREATE TABLE IF NOT EXISTS orders (
  order_id      VARCHAR(100) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  event_id      VARCHAR(64) CHARACTER SET ascii NOT NULL,
  user_id       VARCHAR(64) CHARACTER SET ascii NOT NULL,
  node          VARCHAR(64) CHARACTER SET ascii NOT NULL,  -- the pool that sold it
  status        ENUM('reserved','paid','expired','cancelled') NOT NULL,
  reserved_at   DATETIME(3) NOT NULL,
  expires_at    DATETIME(3) NOT NULL,
  paid_at       DATETIME(3) NULL,
  expired_at    DATETIME(3) NULL,
  cancelled_at  DATETIME(3) NULL,
  KEY orders_event_status (event_id, status),
  KEY orders_event_reserved (event_id, reserved_at),
  KEY orders_event_node (event_id, node),
  KEY orders_event_user (event_id, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
-- (migration 003 replaces the first three keys by one: the schema now is
-- this file plus sql/migrations/ in order.)

-- One row per reconciler run (--once, or one pass of --loop).
CREATE TABLE IF NOT EXISTS reconciler_runs (
  run_id       BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  host         VARCHAR(255) NOT NULL,
  started_at   DATETIME(3) NOT NULL,
  finished_at  DATETIME(3) NOT NULL,
  moved        INT UNSIGNED NOT NULL,   -- stream entries written to orders
  released     INT UNSIGNED NOT NULL,   -- expired reservations given back to stock
  lag_ms       BIGINT NOT NULL,         -- age of the oldest entry still unread at the end (0: none)
  errors       INT UNSIGNED NOT NULL,
  message      VARCHAR(255) NOT NULL DEFAULT '',
  KEY runs_started (started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
