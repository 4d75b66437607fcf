-- genworker's own queue state, beside (never inside) Django's tables.

-- One row per request genworker has claimed: who holds it until when (the lease),
-- which claim this is (the fencing token every write checks), the retryable
-- failures so far, and whether the user has been told the outcome.
CREATE TABLE genworker_lease (
    request_id bigint NOT NULL PRIMARY KEY
        REFERENCES botapp_genrequest (id) ON DELETE CASCADE,
    worker_id varchar(128) NULL,
    attempt integer NOT NULL,
    failures integer NOT NULL,
    lease_expires_at timestamp with time zone NOT NULL,
    last_error text NOT NULL,
    delivered boolean NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE INDEX genworker_lease_expires_idx ON genworker_lease (lease_expires_at);
CREATE INDEX genworker_lease_worker_idx ON genworker_lease (worker_id);

-- The refund of a failed request, at most one per request (the primary key).
CREATE TABLE genworker_refund (
    request_id bigint NOT NULL PRIMARY KEY,
    transaction_id bigint NOT NULL,
    created_at timestamp with time zone NOT NULL
);

-- Queued rows in the order the claim reads them.
CREATE INDEX IF NOT EXISTS genworker_genrequest_queued_idx
    ON botapp_genrequest (created_at, id) WHERE status = 'queued';

-- Wake the daemons the moment a row becomes queued (they also poll).
CREATE OR REPLACE FUNCTION genworker_notify_queued() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('genworker_queue', NEW.id::text);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS genworker_genrequest_queued_notify ON botapp_genrequest;
CREATE TRIGGER genworker_genrequest_queued_notify
    AFTER INSERT OR UPDATE OF status ON botapp_genrequest
    FOR EACH ROW WHEN (NEW.status = 'queued')
    EXECUTE FUNCTION genworker_notify_queued();
