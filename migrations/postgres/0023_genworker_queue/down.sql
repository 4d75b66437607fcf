DROP TRIGGER IF EXISTS genworker_genrequest_queued_notify ON botapp_genrequest;
DROP FUNCTION IF EXISTS genworker_notify_queued();
DROP INDEX IF EXISTS genworker_genrequest_queued_idx;
DROP TABLE IF EXISTS genworker_refund;
DROP TABLE IF EXISTS genworker_lease;
