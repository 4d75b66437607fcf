-- genworker's own queue state, beside (never inside) Django's tables.
-- SQLite has no NOTIFY: the daemon polls.

CREATE TABLE genworker_lease (
    "request_id" bigint NOT NULL PRIMARY KEY REFERENCES "botapp_genrequest" ("id") ON DELETE CASCADE,
    "worker_id" varchar(128) NULL,
    "attempt" integer NOT NULL,
    "failures" integer NOT NULL,
    "lease_expires_at" datetime NOT NULL,
    "last_error" text NOT NULL,
    "delivered" bool NOT NULL,
    "updated_at" datetime NOT NULL
);
CREATE INDEX genworker_lease_expires_idx ON genworker_lease ("lease_expires_at");
CREATE INDEX genworker_lease_worker_idx ON genworker_lease ("worker_id");

CREATE TABLE genworker_refund (
    "request_id" bigint NOT NULL PRIMARY KEY,
    "transaction_id" bigint NOT NULL,
    "created_at" datetime NOT NULL
);

CREATE INDEX IF NOT EXISTS genworker_genrequest_queued_idx
    ON "botapp_genrequest" ("created_at", "id") WHERE "status" = 'queued';
