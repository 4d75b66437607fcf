DROP INDEX IF EXISTS genworker_genrequest_queued_idx;
DROP TABLE IF EXISTS genworker_refund;
DROP TABLE IF EXISTS genworker_lease;
