-- grants.sql — least privilege for the application users, re-applied by
-- scripts/migrate after every migration (idempotent). The users themselves
-- are created with generated passwords by scripts/stack (or by hand in
-- production, docs/deploy.md).
--   reconciler: writes orders, events and its runs; reads nothing else
--   reporter:   reads everything, writes nothing
GRANT SELECT, INSERT, UPDATE ON seckill.orders TO 'reconciler'@'127.0.0.1';
GRANT SELECT, INSERT, UPDATE ON seckill.events TO 'reconciler'@'127.0.0.1';
GRANT SELECT, INSERT ON seckill.reconciler_runs TO 'reconciler'@'127.0.0.1';
GRANT SELECT ON seckill.* TO 'reporter'@'127.0.0.1';
