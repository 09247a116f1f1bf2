-- 002_case_sensitive_ids.sql — ids are case-sensitive everywhere else (Redis,
-- the API: "Spring" and "spring" are two events, "Cc" and "cc" two users), so
-- compare them byte for byte here too: ascii_bin instead of the default
-- ascii_general_ci, under which two such events shared one events row.
ALTER TABLE events
  MODIFY event_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
ALTER TABLE orders
  MODIFY order_id VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY event_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  MODIFY node VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
