-- 004_event_opening.sql — an event's opening and closing times (seckill-admin
-- create-event --opens-at / --closes-at), copied from Redis (ev:{E} opens_at,
-- closes_at) by the reconciler, so that --rebuild-redis keeps them. NULL
-- opens_at: open from its creation (an event made before this migration);
-- NULL closes_at: never closes.
ALTER TABLE events
  ADD COLUMN opens_at DATETIME(3) NULL,
  ADD COLUMN closes_at DATETIME(3) NULL;
