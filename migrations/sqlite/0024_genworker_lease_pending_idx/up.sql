-- The claim looks for expired leases whose outcome is still pending. Settled leases
-- (delivered) stay behind forever with an old expiry, so an index over every lease
-- made each claim walk all past requests; index only the pending ones.
DROP INDEX IF EXISTS genworker_lease_expires_idx;
CREATE INDEX IF NOT EXISTS genworker_lease_pending_idx ON genworker_lease ("lease_expires_at") WHERE NOT "delivered";
