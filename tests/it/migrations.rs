//! Migrations: up, down and up again; idempotent on a database Django already
//! created; all in one transaction (a failure changes nothing); the kling-v1 seed
//! only into a catalog genworker created.

use genworker::catalog::{self, seed::Seed};
use genworker::db::live::ColumnDefaults;
use genworker::db::migrate::{self, MigrateError};

use crate::contract::execute_sql;
use crate::support::{BotRelease, TestDb, failure, on_both_backends, success};

on_both_backends!(
    up_down_up_leaves_a_working_catalog,
    rerunning_the_sql_on_existing_tables_changes_nothing,
    the_seed_leaves_an_existing_kling_model_alone,
    the_seed_skips_a_catalog_the_bot_seeded_itself,
    the_seed_fills_a_django_migrations_table_without_the_bots_record,
    a_failing_migration_changes_nothing,
    commands_refuse_a_database_that_is_not_migrated,
);

/// The tests that also run beside the bot's latest release.
mod every_schema {
    use super::migrate_twice_changes_nothing_the_second_time;
    crate::support::on_every_schema!(migrate_twice_changes_nothing_the_second_time);
}

const ALL: [&str; 7] = [
    "0001_botapp_tables",
    "0022_add_kling_model",
    "0023_genworker_queue",
    "0024_genworker_lease_pending_idx",
    "0025_genworker_lease_error_message_en",
    "0026_genworker_lease_failed_task",
    "0027_genworker_worker",
];

fn backend(db: &TestDb) -> &'static str {
    if db.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// Runs our own first migration's SQL as Django would have created the tables.
fn create_botapp_tables(db: &TestDb) {
    let path = format!(
        "{}/migrations/{}/0001_botapp_tables/up.sql",
        env!("CARGO_MANIFEST_DIR"),
        backend(db)
    );
    execute_sql(db, &std::fs::read_to_string(path).unwrap());
}

/// A model row as the Django admin would insert it (every NOT NULL column).
fn insert_model(db: &TestDb, slug: &str, provider: &str, price: &str) {
    let (t, now) = if db.is_postgres() {
        ("TRUE", "now()")
    } else {
        ("1", "'2026-12-01 00:00:00.000000'")
    };
    execute_sql(
        db,
        &format!(
            "INSERT INTO botapp_aimodel (slug, name, display_name, type, provider, description, \
             short_description, price, api_endpoint, api_model_name, max_prompt_length, \
             supports_image_input, max_input_images, default_params, allowed_params, max_quantity, \
             cooldown_seconds, daily_limit, is_active, is_beta, min_user_level, \"order\", \
             total_generations, total_errors, average_generation_time, created_at, updated_at) \
             VALUES ('{slug}', '{slug}', '{slug}', 'video', '{provider}', '', '', {price}, '', \
             '{slug}', 2000, {t}, 1, '{{\"duration\": 5}}', '{{\"duration\": {{\"min\": 1}}}}', 1, \
             0, NULL, {t}, {t}, 0, 1, 0, 0, 0, {now}, {now})"
        ),
    );
}

async fn up_down_up_leaves_a_working_catalog(db: TestDb) {
    let pool = db.open().await;
    let defaults = ColumnDefaults::default();
    let migrated = migrate::run_pending(&pool, &defaults).await.unwrap();
    assert_eq!(migrated.applied, ALL);
    assert_eq!(migrated.seed, Some(Seed::Inserted));
    let reverted = migrate::revert_all(&pool).await.unwrap();
    assert_eq!(reverted.len(), ALL.len(), "{reverted:?}");
    assert!(migrate::ensure_applied(&pool).await.is_err());
    assert!(
        catalog::list(&pool).await.is_err(),
        "tables must be gone after down"
    );
    migrate::run_pending(&pool, &defaults).await.unwrap();
    migrate::ensure_applied(&pool).await.unwrap();
    let models = catalog::list(&pool).await.unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].slug, "kling-v1");
}

/// Django-first deployments: every statement of our first migration runs against
/// tables that already exist (here: ours, rows included) and must change nothing.
async fn rerunning_the_sql_on_existing_tables_changes_nothing(db: TestDb) {
    let pool = db.migrated().await;
    catalog::set_active(&pool, "kling-v1", false).await.unwrap();
    let before = catalog::find(&pool, "kling-v1").await.unwrap();
    create_botapp_tables(&db);
    let after = catalog::list(&pool).await.unwrap();
    assert_eq!(after.len(), 1);
    assert!(!after[0].is_active);
    assert_eq!(after[0].updated_at, before.updated_at);
}

/// Tables Django created, with a Kling model of its own (another slug, or the
/// seed's slug): the seed inserts nothing and leaves the row as it is.
async fn the_seed_leaves_an_existing_kling_model_alone(db: TestDb) {
    let other = if db.is_postgres() {
        TestDb::postgres()
    } else {
        TestDb::sqlite()
    };
    for (db, slug, provider, price) in [
        (db, "kling-v9", "kling", "12.50"),
        (other, "kling-v1", "custom", "99.00"),
    ] {
        create_botapp_tables(&db);
        insert_model(&db, slug, provider, price);
        let pool = db.open().await;
        let migrated = migrate::run_pending(&pool, &ColumnDefaults::default())
            .await
            .unwrap();
        assert_eq!(migrated.seed, Some(Seed::KlingModelExists(slug.into())));
        let models = catalog::list(&pool).await.unwrap();
        assert_eq!(models.len(), 1);
        assert_eq!(
            (
                models[0].slug.as_str(),
                models[0].provider.as_str(),
                models[0].price_text()
            ),
            (slug, provider, price.to_owned())
        );
    }
}

fn create_django_migrations(db: &TestDb, record_the_bots_seed: bool) {
    let id = if db.is_postgres() {
        "bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    } else {
        "integer PRIMARY KEY AUTOINCREMENT"
    };
    execute_sql(
        db,
        &format!(
            "CREATE TABLE django_migrations (id {id}, app varchar(255) NOT NULL, \
             name varchar(255) NOT NULL, applied timestamp NOT NULL); \
             INSERT INTO django_migrations (app, name, applied) VALUES \
             ('botapp', '0001_initial', CURRENT_TIMESTAMP)"
        ),
    );
    if record_the_bots_seed {
        execute_sql(
            db,
            "INSERT INTO django_migrations (app, name, applied) VALUES \
             ('botapp', '0022_add_kling_model', CURRENT_TIMESTAMP)",
        );
    }
}

/// The bot's own 0022 is recorded: it seeded (and may since have renamed or
/// retired) its Kling model; re-adding kling-v1 would put it back on sale.
async fn the_seed_skips_a_catalog_the_bot_seeded_itself(db: TestDb) {
    create_botapp_tables(&db);
    create_django_migrations(&db, true);
    let pool = db.open().await;
    let migrated = migrate::run_pending(&pool, &ColumnDefaults::default())
        .await
        .unwrap();
    assert_eq!(migrated.seed, Some(Seed::BotSeeded));
    assert!(catalog::list(&pool).await.unwrap().is_empty());
    let out = success(&db.cli(&["migrate"]));
    assert!(out.contains("already up to date"), "{out}");
}

async fn the_seed_fills_a_django_migrations_table_without_the_bots_record(db: TestDb) {
    create_botapp_tables(&db);
    create_django_migrations(&db, false);
    let out = success(&db.cli(&["migrate"]));
    assert!(out.contains("seed: inserted kling-v1"), "{out}");
    let pool = db.open().await;
    assert_eq!(catalog::list(&pool).await.unwrap().len(), 1);
}

/// A migration that fails after others ran in the same transaction leaves the
/// schema, the rows and the migration records as they were.
async fn a_failing_migration_changes_nothing(db: TestDb) {
    // 0023 creates genworker_lease without IF NOT EXISTS: a table of that name fails it.
    execute_sql(&db, "CREATE TABLE genworker_lease (x integer)");
    let stderr = failure(&db.cli(&["migrate"]));
    assert!(
        stderr.contains("migration 0023_genworker_queue failed"),
        "{stderr}"
    );
    assert!(stderr.contains("Nothing was changed"), "{stderr}");
    assert!(stderr.contains("run `genworker migrate` again"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let pool = db.open().await;
    let error = migrate::run_pending(&pool, &ColumnDefaults::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, MigrateError::Failed { ref name, .. } if name == "0023_genworker_queue")
    );
    // Nothing of 0001 or 0022 stayed: no botapp table, no record, no seed.
    let tables = crate::snapshot::table_names(&db);
    assert_eq!(tables, ["genworker_lease"], "{tables:?}");
}

async fn commands_refuse_a_database_that_is_not_migrated(db: TestDb) {
    db.open().await;
    let stderr = failure(&db.cli(&["models", "list"]));
    assert!(stderr.contains("not migrated"), "{stderr}");
    assert!(stderr.contains("genworker migrate"), "{stderr}");
}

/// The second `migrate` applies nothing and changes no row, no column, no index.
async fn migrate_twice_changes_nothing_the_second_time(db: TestDb) {
    let first = success(&db.cli(&["migrate"]));
    assert!(first.contains("applied 0001_botapp_tables"), "{first}");
    match db.release {
        BotRelease::Seed => assert!(first.contains("seed: inserted kling-v1"), "{first}"),
        BotRelease::Latest => assert!(
            first.contains(
                "seed: inserted no model: the catalog has the Kling model `kling-v2-5-turbo`"
            ),
            "{first}"
        ),
    }
    let before = crate::snapshot::snapshot(&db);
    let second = success(&db.cli(&["migrate"]));
    assert!(second.contains("already up to date"), "{second}");
    assert!(!second.contains("seed"), "{second}");
    assert_eq!(crate::snapshot::snapshot(&db), before);
    let pool = db.open().await;
    assert!(catalog::find(&pool, "kling-v1").await.is_err() == (db.release == BotRelease::Latest));
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

/// Beside the latest release with its Kling models and the bot's seed record gone
/// (a catalog genworker may seed), the seed writes the cost columns the bot's code
/// writes, and the release's price trigger keeps 69.00.
#[tokio::test]
async fn postgres_latest_the_seed_writes_the_later_cost_columns() {
    let db = TestDb::postgres_latest();
    execute_sql(
        &db,
        "DELETE FROM botapp_aimodel WHERE provider = 'kling'; \
         DELETE FROM django_migrations WHERE app = 'botapp' AND name = '0022_add_kling_model'",
    );
    let out = success(&db.cli(&["migrate"]));
    assert!(out.contains("seed: inserted kling-v1"), "{out}");
    let row = crate::snapshot::query_one(
        &db,
        "SELECT price::text || ' ' || unit_cost_usd::text || ' ' || base_cost_usd::text || ' ' || cost_unit \
         FROM botapp_aimodel WHERE slug = 'kling-v1'",
    );
    assert_eq!(row, "69.00 1.7250 1.7250 generation");
}
