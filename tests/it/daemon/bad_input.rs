//! Bad input ends in `error` with a clear message and one refund when charged,
//! while the daemon carries on; other providers' requests are left alone. (A
//! Telegram file that is not there: `outcomes`, over HTTP.)

use std::time::Duration;

use genworker::provider::instant::{InstantProvider, Script};
use serde_json::json;

use super::Harness;
use crate::support::{BotRelease, TestDb, on_every_schema};

on_every_schema!(bad_input_fails_each_request_clearly_and_the_daemon_carries_on);

async fn bad_input_fails_each_request_clearly_and_the_daemon_carries_on(db: TestDb) {
    let h = Harness::instant(db, &[]).await;
    let slug = h.db.kling_slug();
    h.sql(&format!(
        "UPDATE botapp_aimodel SET max_prompt_length = 40 WHERE slug = '{slug}'"
    ));
    let not_object = h
        .enqueue("params are a list", "text2video", json!({}), Some(1))
        .await;
    h.sql(&format!(
        "UPDATE botapp_genrequest SET generation_params = '[1, 2]' WHERE id = {}",
        not_object.id
    ));
    let no_model = h
        .enqueue("no model", "text2video", json!({}), Some(2))
        .await;
    h.sql(&format!(
        "UPDATE botapp_genrequest SET ai_model_id = NULL WHERE id = {}",
        no_model.id
    ));
    let bad_type = h
        .enqueue("a picture", "text2video", json!({}), Some(3))
        .await;
    h.sql(&format!(
        "UPDATE botapp_genrequest SET generation_type = 'text2image' WHERE id = {}",
        bad_type.id
    ));
    // The latest release's own type genworker does not run (the bot's Runway flow).
    let video2video = h
        .enqueue("restyle this clip", "text2video", json!({}), Some(11))
        .await;
    h.sql(&format!(
        "UPDATE botapp_genrequest SET generation_type = 'video2video' WHERE id = {}",
        video2video.id
    ));
    let no_image = h
        .enqueue("animate nothing", "image2video", json!({}), Some(4))
        .await;
    let empty_prompt = h.enqueue("   ", "text2video", json!({}), Some(6)).await;
    let long_prompt = h
        .enqueue(&"долгий ".repeat(10), "text2video", json!({}), Some(7))
        .await;
    // Written by hand: enqueue, like the bot, takes only what allowed_params allows.
    let bad_duration = h
        .enqueue("how long", "text2video", json!({}), Some(8))
        .await;
    h.sql(&format!(
        "UPDATE botapp_genrequest SET generation_params = '{{\"mode\": \"text2video\", \"duration\": \"ten\"}}' WHERE id = {}",
        bad_duration.id
    ));
    // Wider than botapp_genrequest.video_resolution (varchar(20)) can hold.
    let wide_resolution = h
        .enqueue(
            "how sharp",
            "text2video",
            json!({"resolution": "1080p"}),
            Some(12),
        )
        .await;
    h.sql(&format!(
        "UPDATE botapp_genrequest SET generation_params = '{{\"mode\": \"text2video\", \"resolution\": \"{}\"}}' WHERE id = {}",
        "8".repeat(21),
        wide_resolution.id
    ));
    let positive_charge = h
        .enqueue("odd charge", "text2video", json!({}), Some(9))
        .await;
    h.sql(&format!(
        "UPDATE botapp_transaction SET amount = 69 WHERE id = {}",
        positive_charge.transaction_id.unwrap()
    ));
    let fine = h
        .enqueue("a good one", "text2video", json!({}), Some(10))
        .await;
    // The latest release's cost columns are NOT NULL too.
    let later = match h.db.release {
        BotRelease::Seed => ("", ""),
        BotRelease::Latest => (
            ", unit_cost_usd, base_cost_usd, cost_unit",
            ", unit_cost_usd, base_cost_usd, cost_unit",
        ),
    };
    h.sql(&format!("INSERT INTO botapp_aimodel (slug, name, display_name, type, provider, description, short_description, price, api_endpoint, api_model_name, max_prompt_length, supports_image_input, max_input_images, default_params, allowed_params, max_quantity, cooldown_seconds, daily_limit, is_active, is_beta, min_user_level, \"order\", total_generations, total_errors, average_generation_time, created_at, updated_at{}) SELECT 'other-video', 'Other', 'Other', 'video', 'someone-else', '', '', 10, '', 'x', 100, false, 0, default_params, allowed_params, 1, 0, NULL, is_active, false, 0, 1, 0, 0, 0, created_at, updated_at{} FROM botapp_aimodel WHERE slug = '{slug}'", later.0, later.1));
    let foreign = h.enqueue("not ours", "text2video", json!({}), None).await;
    h.sql(&format!(
        "UPDATE botapp_genrequest SET ai_model_id = (SELECT id FROM botapp_aimodel WHERE slug = 'other-video'), model = 'other-video' WHERE id = {}",
        foreign.id
    ));

    let cases = [
        (
            &not_object,
            "Некорректные параметры генерации: ожидался JSON-объект.",
            true,
        ),
        (
            &no_model,
            "Модель генерации не найдена: у запроса не указана модель.",
            true,
        ),
        (
            &bad_type,
            "Тип генерации «text2image» не поддерживается.",
            true,
        ),
        (
            &video2video,
            "Тип генерации «video2video» не поддерживается.",
            true,
        ),
        (
            &wide_resolution,
            "Параметр resolution длиннее 20 символов.",
            true,
        ),
        (&no_image, "Для режима image2video нужно изображение.", true),
        (
            &empty_prompt,
            "Промпт пустой: опишите, какое видео нужно.",
            true,
        ),
        (&long_prompt, "Промпт длиннее 40 символов.", true),
        (
            &bad_duration,
            "Длительность видео должна быть числом.",
            true,
        ),
        (
            &positive_charge,
            "Некорректная транзакция оплаты запроса.",
            false,
        ),
    ];
    let script = Script::new([]);
    let provider = InstantProvider::scripted("kling", 8, script.clone());
    h.run_until_idle("w1", &[], provider, Duration::from_secs(30))
        .await;

    let refunds = h
        .transactions()
        .await
        .into_iter()
        .filter(|t| t.kind == "refund")
        .collect::<Vec<_>>();
    for (request, message, refunded) in &cases {
        let row = h.request(request.id).await;
        assert_eq!(row.status, "error", "{message}");
        assert_eq!(row.error_message, *message);
        let count = refunds
            .iter()
            .filter(|t| t.related_transaction_id == request.transaction_id)
            .count();
        assert_eq!(count, usize::from(*refunded), "refunds for `{message}`");
    }
    assert_eq!(
        h.request(fine.id).await.status,
        "done",
        "the daemon carried on"
    );
    assert_eq!(script.submits(), 1, "no bad request reached the provider");
    let untouched = h.request(foreign.id).await;
    assert_eq!(
        untouched.status, "queued",
        "another provider's request is left alone"
    );
    assert!(untouched.started_at.is_none());
    assert!(h.lease(foreign.id).await.is_none());
    // Every failure but the one without a model counts against the Kling model.
    assert_eq!(
        h.model_counters().await.1,
        9,
        "total_errors counts each failure of the model"
    );
}
