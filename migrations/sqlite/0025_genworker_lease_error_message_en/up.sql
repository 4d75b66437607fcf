-- A failure's message in English, for users whose language is English. The
-- request's error_message keeps the seed's Russian wording; a failure told again
-- after a crash or a Telegram outage needs the English one too. Empty: none stored.
ALTER TABLE genworker_lease ADD COLUMN error_message_en TEXT NOT NULL DEFAULT '';
