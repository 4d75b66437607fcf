//! `genworker enqueue`: the request, the user, the balance and the charge.

use serde_json::{Value, json};

use super::setup::{balance_row, count, set_image_input, transaction_row, user_row};
use super::{enqueue, enqueue_id, show};
use crate::support::{BotRelease, TestDb, failure, on_every_schema, success};

on_every_schema!(
    enqueue_writes_every_column_as_the_bot_does,
    enqueue_for_a_user_creates_and_charges_them,
    enqueue_errors_write_nothing,
    concurrent_enqueues_for_one_user_lose_no_charge,
);

async fn enqueue_writes_every_column_as_the_bot_does(db: TestDb) {
    let pool = db.migrated().await;
    let slug = db.kling_slug();
    let model_id = model_id(&db);
    let text = success(&db.cli(&["enqueue", "--model", slug, "--prompt", "a cat"]));
    let (id, code) = text
        .trim()
        .strip_prefix("enqueued request ")
        .and_then(|rest| rest.strip_suffix(')'))
        .and_then(|rest| rest.split_once(" (run_code "))
        .unwrap_or_else(|| panic!("unexpected output: {text}"));
    let row = show(&db, id.parse().unwrap());
    assert_eq!(row["run_code"], code);
    assert_eq!(code.len(), 32);
    assert!(
        code.chars()
            .all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_uppercase())
    );
    let expected = json!({
        "chat_id": 0, "prompt": "a cat", "quantity": 1, "model": slug,
        "status": "queued", "result_urls": [], "completed_at": null, "cost": "69.00",
        "duration": 10, "error_message": "", "file_sizes": [],
        "generation_params": {"mode": "text2video"}, "generation_type": "text2video",
        "input_images": [], "processing_time": null, "started_at": null, "user_id": null,
        "video_resolution": "1080p", "ai_model_id": model_id, "transaction_id": null,
        "aspect_ratio": "16:9", "provider_job_id": "", "provider_metadata": {},
        "source_media": {}, "parent_request_id": null, "lease": null, "refund": null,
    });
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&row[key], value, "{key}");
    }
    // The latest release's NOT NULL cost_usd, as the bot computes it: 0.0420 USD a
    // second for the 10 s of the model's defaults.
    if db.release == BotRelease::Latest {
        assert_eq!(row["cost_usd"], "0.4200");
    }
    assert!(row["created_at"].as_str().unwrap() > "2026");
    assert_eq!(
        count(&pool, "botapp_tguser").await,
        0,
        "no user without --user"
    );
    assert_eq!(count(&pool, "botapp_transaction").await, 0);

    // Params override the model's defaults key by key; a non-integer duration is NULL.
    let id = enqueue_id(
        &db,
        &[
            "--prompt",
            "",
            "--chat-id",
            "-100123",
            "--param",
            "duration=7.5",
            "--param",
            "resolution=\"720p\"",
            "--param",
            "aspect_ratio=\"9:16\"",
            "--param",
            "kling_options={\"style\":\"anime\"}",
        ],
    );
    let row = show(&db, id);
    assert_eq!(row["chat_id"], -100123);
    assert_eq!(row["prompt"], "", "prompts are not checked");
    assert_eq!(row["duration"], Value::Null);
    assert_eq!(row["video_resolution"], "720p");
    assert_eq!(row["aspect_ratio"], "9:16");
    assert_eq!(
        row["generation_params"],
        json!({"mode": "text2video", "duration": 7.5, "resolution": "720p",
               "aspect_ratio": "9:16", "kling_options": {"style": "anime"}})
    );
    assert_ne!(row["run_code"], code, "run codes are unique");
}

async fn enqueue_for_a_user_creates_and_charges_them(db: TestDb) {
    let pool = db.migrated().await;
    let first = enqueue(
        &db,
        &[
            "--prompt",
            "a dog",
            "--user",
            "5001",
            "--type",
            "image2video",
            "--image",
            "AgADfile",
        ],
    );
    let id = first["id"].as_i64().unwrap();
    let charge = first["transaction_id"].as_i64().unwrap();
    let user = first["user_id"].as_i64().unwrap();
    assert_eq!(first["balance_after"], "-69.00");

    let row = show(&db, id);
    assert_eq!(row["chat_id"], 5001, "the user's chat by default");
    assert_eq!(row["user_id"], user);
    assert_eq!(row["transaction_id"], charge);
    assert_eq!(row["generation_type"], "image2video");
    assert_eq!(
        row["generation_params"],
        json!({"mode": "image2video", "input_image_file_id": "AgADfile"})
    );
    assert_eq!(row["source_media"], json!({"telegram_file_id": "AgADfile"}));

    let tguser = user_row(&pool, 5001).await;
    assert_eq!(tguser.id, user);
    assert_eq!(
        (
            tguser.username.as_str(),
            tguser.first_name.as_str(),
            tguser.last_name.as_str()
        ),
        ("", "", "")
    );
    assert!(!tguser.is_blocked && !tguser.is_premium);
    assert_eq!(tguser.language_code, "ru");
    assert_eq!(tguser.created_at, tguser.updated_at);

    let balance = balance_row(&pool, user).await;
    assert_eq!(
        balance.money,
        ["-69.00", "69.00", "0.00", "0.00", "0.00"],
        "balance, total_spent, total_deposited, bonus_balance, referral_earnings"
    );
    assert_eq!(
        (balance.referral_code, balance.referred_by_id),
        (None, None)
    );

    let tx = transaction_row(&pool, charge).await;
    assert_eq!(tx.kind, "generation");
    assert_eq!(
        (tx.amount.as_str(), tx.balance_after.as_str()),
        ("-69.00", "-69.00")
    );
    let name = db.kling().display_name;
    assert_eq!(tx.description, format!("Генерация видео: {name}"));
    assert_eq!(tx.description_en, format!("Video generation: {name}"));
    assert_eq!((tx.payment_method, tx.payment_id), (None, None));
    assert_eq!(tx.payment_data, json!({}));
    assert!(tx.is_completed && !tx.is_pending);
    assert_eq!(tx.generation_request_id, Some(id));
    assert_eq!(tx.related_transaction_id, None);
    assert_eq!(tx.user_id, user);

    // The same user again: found, not created; charged again (the balance may go negative).
    let second = enqueue(
        &db,
        &["--prompt", "again", "--user", "5001", "--chat-id", "77"],
    );
    assert_eq!(second["user_id"], user);
    assert_eq!(second["balance_after"], "-138.00");
    assert_eq!(show(&db, second["id"].as_i64().unwrap())["chat_id"], 77);
    assert_eq!(count(&pool, "botapp_tguser").await, 1);
    assert_eq!(count(&pool, "botapp_userbalance").await, 1);
    assert_eq!(
        balance_row(&pool, user).await.money[..2],
        ["-138.00", "138.00"]
    );
    let tx = transaction_row(&pool, second["transaction_id"].as_i64().unwrap()).await;
    assert_eq!(tx.balance_after, "-138.00");
}

async fn enqueue_errors_write_nothing(db: TestDb) {
    let pool = db.migrated().await;
    let stderr = failure(&db.cli(&["enqueue", "--model", "nope", "--prompt", "x", "--user", "1"]));
    assert!(stderr.contains("no AI model with slug `nope`"), "{stderr}");
    let slug = db.kling_slug();
    set_image_input(&pool, slug, false).await;
    let stderr = failure(&db.cli(&[
        "enqueue",
        "--model",
        slug,
        "--prompt",
        "x",
        "--type",
        "image2video",
        "--image",
        "file",
        "--user",
        "1",
    ]));
    assert!(
        stderr.contains("does not accept an input image"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    let stderr = failure(&db.cli(&[
        "enqueue",
        "--model",
        slug,
        "--prompt",
        "x",
        "--param",
        "resolution=720p",
    ]));
    assert!(stderr.contains("is not JSON"), "{stderr}");
    let stderr = failure(&db.cli(&[
        "enqueue", "--model", slug, "--prompt", "x", "--type", "remix",
    ]));
    assert!(stderr.contains("invalid value 'remix'"), "{stderr}");
    // As the bot: only values the model's allowed_params allows.
    let long = [
        "enqueue",
        "--model",
        slug,
        "--prompt",
        "x",
        "--user",
        "1",
        "--param",
        "resolution=\"a resolution far too long\"",
    ];
    let stderr = failure(&db.cli(&long));
    assert_eq!(
        stderr.trim(),
        format!(
            "error: resolution \"a resolution far too long\" is not allowed for {slug}: \
             allowed_params.resolution allows one of \"720p\", \"1080p\""
        )
    );
    let stderr = failure(&db.cli(&[
        "enqueue",
        "--model",
        slug,
        "--prompt",
        "x",
        "--param",
        "duration=99",
    ]));
    assert!(
        stderr.contains("duration 99 is not allowed") && stderr.contains("a number from 4 to 30"),
        "{stderr}"
    );
    // Where allowed_params says nothing, the request still does not fit the live
    // varchar(20) once the user is charged: it is refused by name, and the user,
    // balance and charge roll back with it.
    crate::contract::execute_sql(
        &db,
        &format!(
            "UPDATE botapp_aimodel SET allowed_params = '{{\"duration\": {{\"min\": 4, \"max\": 30}}}}' \
             WHERE slug = '{slug}'"
        ),
    );
    let stderr = failure(&db.cli(&long));
    assert_eq!(
        stderr.trim(),
        "error: botapp_genrequest.video_resolution: 25 characters do not fit varchar(20) (at most 20)"
    );
    for table in [
        "botapp_genrequest",
        "botapp_tguser",
        "botapp_userbalance",
        "botapp_transaction",
    ] {
        assert_eq!(count(&pool, table).await, 0, "{table}");
    }
    // text2video still works with image input off; image presence is not checked.
    enqueue_id(&db, &["--prompt", "x"]);
    set_image_input(&pool, slug, true).await;
    let id = enqueue_id(&db, &["--prompt", "x", "--type", "image2video"]);
    assert_eq!(show(&db, id)["source_media"], json!({}));
}

/// The catalog id of the Kling model.
fn model_id(db: &TestDb) -> i64 {
    let shown = success(&db.cli(&["models", "show", db.kling_slug(), "--json"]));
    serde_json::from_str::<Value>(&shown).unwrap()["id"]
        .as_i64()
        .unwrap()
}

/// Concurrent requests of one new user: one user, one balance, no lost charge.
async fn concurrent_enqueues_for_one_user_lose_no_charge(db: TestDb) {
    let pool = db.migrated().await;
    std::thread::scope(|scope| {
        for _ in 0..6 {
            scope.spawn(|| enqueue(&db, &["--prompt", "race", "--user", "314"]));
        }
    });
    assert_eq!(count(&pool, "botapp_tguser").await, 1);
    assert_eq!(count(&pool, "botapp_transaction").await, 6);
    let user = user_row(&pool, 314).await.id;
    assert_eq!(
        balance_row(&pool, user).await.money[..2],
        ["-414.00", "414.00"]
    );
}
