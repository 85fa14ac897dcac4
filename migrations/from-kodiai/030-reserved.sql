-- from-kodiai 030-reserved (adopting a database built by kodiai's own runner, docs/adopt.md): kodiai's
-- 030 is a reserved slot that creates nothing, and our 056 (which declares it with 029) creates nothing
-- for it either: nothing to convert. `up` runs this after from-kodiai/029-embedding-repair-state.sql, in
-- the same transaction.
SET LOCAL lock_timeout = '1s';
