-- Development only: genworker has no command that reverts migrations, because on
-- a database shared with Django these tables and their rows belong to the bot.
DROP TABLE IF EXISTS "botapp_transaction", "botapp_genrequest", "botapp_userbalance", "botapp_aimodel", "botapp_tguser" CASCADE;
