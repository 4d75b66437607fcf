ALTER TABLE genworker_lease DROP COLUMN error_message_en;
