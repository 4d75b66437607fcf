DROP INDEX IF EXISTS genworker_lease_pending_idx;
CREATE INDEX IF NOT EXISTS genworker_lease_expires_idx ON genworker_lease ("lease_expires_at");
