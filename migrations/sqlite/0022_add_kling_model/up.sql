-- The Kling model, as the bot's own migration 0022_add_kling_model seeds it;
-- inserted only when no row with this slug exists (an admin's row is never touched).
-- Datetimes are naive UTC text with microseconds, as Django writes them on SQLite.
INSERT INTO "botapp_aimodel" (
    "slug", "name", "display_name", "type", "provider", "description", "short_description",
    "price", "api_endpoint", "api_model_name", "max_prompt_length", "supports_image_input",
    "max_input_images", "default_params", "allowed_params", "max_quantity", "cooldown_seconds",
    "daily_limit", "is_active", "is_beta", "min_user_level", "order", "total_generations",
    "total_errors", "average_generation_time", "created_at", "updated_at"
)
SELECT
    'kling-v1', 'Kling Video', '🎥 Kling (Kuaishou)', 'video', 'kling',
    'Премиальная модель генерации видео от Kuaishou. Поддерживает режимы text2video и image2video, работает с длительностью до 30 секунд, умеет синтезировать аудио дорожку и сохраняет стиль референсных кадров.',
    'Видео до 30 сек в 720p/1080p + режим Remix',
    69.00, '', 'kling-v1', 2000, 1,
    1,
    '{"duration": 10, "resolution": "1080p", "aspect_ratio": "16:9", "enable_audio": true}',
    '{"duration": {"min": 4, "max": 30}, "resolution": ["720p", "1080p"], "aspect_ratio": ["16:9", "9:16", "1:1"], "enable_audio": [true, false], "fps": {"min": 16, "max": 30}}',
    1, 45,
    6, 1, 1, 2, 35, 0,
    0, 0, strftime('%Y-%m-%d %H:%M:%f', 'now') || '000', strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'
WHERE NOT EXISTS (SELECT 1 FROM "botapp_aimodel" WHERE "slug" = 'kling-v1');
