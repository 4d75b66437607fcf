DELETE FROM "botapp_aimodel" WHERE "slug" = 'kling-v1';
