-- One row per running daemon: its id (the leases' worker_id), host, pid and
-- process space (boot id and pid namespace: equal ones share their pids), when
-- it started and last beat, and the key of the session-level advisory lock it
-- holds for as long as its process and its connection live. A claimer that finds
-- a worker's lock free takes over that worker's leases at once instead of
-- waiting for them to expire.
CREATE TABLE genworker_worker (
    id varchar(128) NOT NULL PRIMARY KEY,
    host varchar(255) NOT NULL,
    pid integer NOT NULL,
    process_space varchar(128) NOT NULL,
    lock_key bigint NOT NULL,
    started_at timestamp with time zone NOT NULL,
    heartbeat_at timestamp with time zone NOT NULL
);
