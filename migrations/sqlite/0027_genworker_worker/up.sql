-- One row per running daemon: its id (the leases' worker_id), host, pid and
-- process space (boot id and pid namespace: equal ones share their pids), when
-- it started and last beat, and a key naming its lock file (an flock held for
-- as long as its process lives, beside the database). A claimer that can take
-- a worker's lock takes over that worker's leases at once instead of waiting
-- for them to expire.
CREATE TABLE genworker_worker (
    "id" varchar(128) NOT NULL PRIMARY KEY,
    "host" varchar(255) NOT NULL,
    "pid" integer NOT NULL,
    "process_space" varchar(128) NOT NULL,
    "lock_key" bigint NOT NULL,
    "started_at" datetime NOT NULL,
    "heartbeat_at" datetime NOT NULL
);
