-- The Kling model, as the bot's own migration 0022_add_kling_model seeds it, is
-- written by `genworker migrate` right after this file runs, in the same
-- transaction (src/catalog/seed.rs): its INSERT is built from the live columns of
-- botapp_aimodel, so a later release's NOT NULL columns are filled too, and it
-- runs only into a catalog genworker created (no `kling` model, and the bot's own
-- botapp.0022_add_kling_model not recorded in django_migrations).
SELECT 1;
