-- Development only: genworker has no command that reverts migrations, because on
-- a database shared with Django these tables and their rows belong to the bot.
DROP TABLE IF EXISTS "botapp_genrequest";
DROP TABLE IF EXISTS "botapp_transaction";
DROP TABLE IF EXISTS "botapp_userbalance";
DROP TABLE IF EXISTS "botapp_aimodel";
DROP TABLE IF EXISTS "botapp_tguser";
