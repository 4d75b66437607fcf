-- A requeued request resumes its saved provider task rather than paying for a new
-- one, unless the provider reported that task failed: then a new task is the
-- point of the requeue. failed_task_id: the task the provider reported failed
-- ('' when none); task_round: how many such tasks the request has had, so that
-- the next task gets its own external id (Kling refuses a repeated one).
ALTER TABLE genworker_lease ADD COLUMN failed_task_id TEXT NOT NULL DEFAULT '';
ALTER TABLE genworker_lease ADD COLUMN task_round INTEGER NOT NULL DEFAULT 0;
