//! Migrations: up, down and up again; idempotent on a database Django already
//! created; the kling-v1 seed inserted only when absent.

use genworker::catalog;
use genworker::db::migrate;

use crate::support::{TestDb, on_both_backends};

on_both_backends!(
    up_down_up_leaves_a_working_catalog,
    rerunning_the_sql_on_existing_tables_changes_nothing,
    the_seed_leaves_an_existing_kling_row_alone,
    commands_refuse_a_database_that_is_not_migrated,
);

async fn up_down_up_leaves_a_working_catalog(db: TestDb) {
    let pool = db.open().await;
    let applied = migrate::run_pending(&pool).await.unwrap();
    assert_eq!(
        applied,
        [
            "0001_botapp_tables",
            "0022_add_kling_model",
            "0023_genworker_queue",
            "0024_genworker_lease_pending_idx",
            "0025_genworker_lease_error_message_en"
        ]
    );
    let reverted = migrate::revert_all(&pool).await.unwrap();
    assert_eq!(reverted.len(), 5, "{reverted:?}");
    assert!(migrate::ensure_applied(&pool).await.is_err());
    assert!(
        catalog::list(&pool).await.is_err(),
        "tables must be gone after down"
    );
    migrate::run_pending(&pool).await.unwrap();
    migrate::ensure_applied(&pool).await.unwrap();
    let models = catalog::list(&pool).await.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].slug, "kling-v1");
}

/// Django-first deployments: every statement of our migrations runs against
/// tables that already exist (here: ours, rows included) and must change nothing.
async fn rerunning_the_sql_on_existing_tables_changes_nothing(db: TestDb) {
    let pool = db.migrated().await;
    catalog::set_active(&pool, "kling-v1", false).await.unwrap();
    let before = catalog::find(&pool, "kling-v1").await.unwrap();
    let backend = if db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    for name in ["0001_botapp_tables", "0022_add_kling_model"] {
        let path = format!(
            "{}/migrations/{backend}/{name}/up.sql",
            env!("CARGO_MANIFEST_DIR")
        );
        let sql = std::fs::read_to_string(path).unwrap();
        crate::contract::execute_sql(&db, &sql);
    }
    let after = catalog::list(&pool).await.unwrap();
    assert_eq!(after.len(), 1);
    assert!(!after[0].is_active);
    assert_eq!(after[0].updated_at, before.updated_at);
}

async fn the_seed_leaves_an_existing_kling_row_alone(db: TestDb) {
    let pool = db.migrated().await;
    let changed = catalog::apply_edit(
        &pool,
        "kling-v1",
        catalog::ModelEdit {
            price: Some(catalog::parse_price("99").unwrap()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let backend = if db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    let path = format!(
        "{}/migrations/{backend}/0022_add_kling_model/up.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    crate::contract::execute_sql(&db, &std::fs::read_to_string(path).unwrap());
    let models = catalog::list(&pool).await.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].price_text(), "99.00");
    assert_eq!(models[0].updated_at, changed.updated_at);
}

async fn commands_refuse_a_database_that_is_not_migrated(db: TestDb) {
    db.open().await;
    let stderr = crate::support::failure(&db.cli(&["models", "list"]));
    assert!(stderr.contains("not migrated"), "{stderr}");
    assert!(stderr.contains("genworker migrate"), "{stderr}");
}

/// The seed row carries every value of DESIGN §4.
#[tokio::test]
async fn the_seed_row_has_every_value_of_the_bots_migration() {
    let db = TestDb::sqlite();
    let pool = db.migrated().await;
    let kling = catalog::find(&pool, "kling-v1").await.unwrap();
    assert_eq!(kling.name, "Kling Video");
    assert_eq!(kling.display_name, "🎥 Kling (Kuaishou)");
    assert_eq!(
        (kling.kind.as_str(), kling.provider.as_str()),
        ("video", "kling")
    );
    assert!(
        kling
            .description
            .starts_with("Премиальная модель генерации видео от Kuaishou.")
    );
    assert_eq!(
        kling.short_description,
        "Видео до 30 сек в 720p/1080p + режим Remix"
    );
    assert_eq!(kling.price_text(), "69.00");
    assert_eq!(
        (kling.api_endpoint.as_str(), kling.api_model_name.as_str()),
        ("", "kling-v1")
    );
    assert_eq!((kling.max_prompt_length, kling.max_input_images), (2000, 1));
    assert!(kling.supports_image_input && kling.is_active && kling.is_beta);
    assert_eq!(
        kling.default_params.0,
        serde_json::json!({"duration": 10, "resolution": "1080p", "aspect_ratio": "16:9", "enable_audio": true})
    );
    assert_eq!(
        kling.allowed_params.0,
        serde_json::json!({"duration": {"min": 4, "max": 30}, "resolution": ["720p", "1080p"],
            "aspect_ratio": ["16:9", "9:16", "1:1"], "enable_audio": [true, false], "fps": {"min": 16, "max": 30}})
    );
    assert_eq!(
        (
            kling.max_quantity,
            kling.cooldown_seconds,
            kling.daily_limit
        ),
        (1, 45, Some(6))
    );
    assert_eq!((kling.min_user_level, kling.sort_order), (2, 35));
    assert_eq!((kling.total_generations, kling.total_errors), (0, 0));
    assert_eq!(kling.average_generation_time, 0.0);
    let age = chrono::Utc::now() - kling.created_at.0;
    assert!(
        age.num_seconds().abs() < 60,
        "created_at is not now: {:?}",
        kling.created_at
    );
}
