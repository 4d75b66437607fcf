ALTER TABLE genworker_lease DROP COLUMN task_round;
ALTER TABLE genworker_lease DROP COLUMN failed_task_id;
