//! `genworker demo`: the README's main job. A fresh embedded SQLite database in a
//! temporary folder (unless `--database-url`), migrations, the simulator in this
//! process, one text2video and one image2video request processed by the real
//! daemon, then a table of the results and the files written.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use comfy_table::{Table, presets};
use serde_json::Map;

use super::CliError;
use super::output::outln;
use crate::daemon::Daemon;
use crate::db::live::{Tables, needs};
use crate::db::{Database, DatabaseUrl, OpenMode, migrate};
use crate::provider::ProviderRegistry;
use crate::queue::admin::{NewRequest, enqueue};
use crate::queue::{GenRequest, QueueStore};
use crate::settings::{KlingApiStyle, LoadedSettings, Settings};
use crate::simulator::{Knobs, Simulator, SimulatorConfig};

/// Options of `genworker demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Use this database instead of a new SQLite file in a temporary folder.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Which Kling API the simulator and the daemon speak: `generic` (the seed's) or
    /// `official` (JWT signed with the secret).
    #[arg(long, default_value = "generic", value_parser = str::parse::<KlingApiStyle>)]
    kling_style: KlingApiStyle,
}

const KEY: &str = "demo-kling-key";
const SECRET: &str = "demo-kling-secret";
const TOKEN: &str = "123456:demo-bot-token";

/// The demo's Kling API key, Kling secret and Telegram bot token: none may ever
/// appear in a log line or a stored error (the secret-leak test looks for them).
pub const DEMO_SECRETS: [&str; 3] = [KEY, SECRET, TOKEN];
const PHOTO_ID: &str = "demo-photo";
/// How long the demo waits for both requests.
const DEADLINE: Duration = Duration::from_secs(90);
/// A 1×1 PNG, the image2video input.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0D, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D,
    0x1D, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Runs the demo; fails unless both requests end `done`.
pub async fn run(base: &LoadedSettings, args: DemoArgs) -> Result<(), CliError> {
    let folder = demo_folder()
        .map_err(|e| CliError::Output(format!("cannot create the demo folder: {e}")))?;
    let url = args
        .database_url
        .unwrap_or_else(|| format!("sqlite://{}", folder.join("demo.sqlite3").display()));
    let parsed: DatabaseUrl = url
        .parse()
        .map_err(|e| CliError::Output(format!("--database-url: {e}")))?;
    let column_defaults = base.column_defaults()?;
    let db = Database::open(&parsed, OpenMode::CreateIfMissing, 8).await?;
    migrate::run_pending(&db, column_defaults).await?;
    let tables = Arc::new(Tables::read(&db, column_defaults, &needs::INSERTED).await?);

    let mut config = SimulatorConfig::new(KEY, SECRET, TOKEN);
    config.knobs = Knobs {
        finish_after_ms: 1500,
        video_bytes: 512 * 1024,
        ..Knobs::default()
    };
    let simulator = Simulator::start(config)
        .await
        .map_err(|e| CliError::Output(format!("cannot start the simulator: {e}")))?;
    simulator.add_telegram_file(PHOTO_ID, "photos/demo.png", PNG.to_vec());
    let settings = demo_settings(base, &url, &simulator.base_url(), &folder, args.kling_style)?;

    let text = request(
        "text2video",
        "A red fox running through fresh snow at sunrise",
        None,
    );
    let image = request(
        "image2video",
        "Make this picture come alive",
        Some(PHOTO_ID),
    );
    let ids = [
        enqueue(&db, &tables, text).await,
        enqueue(&db, &tables, image).await,
    ]
    .into_iter()
    .map(|made| {
        made.map(|made| made.id)
            .map_err(|e| CliError::Output(e.to_string()))
    })
    .collect::<Result<Vec<_>, _>>()?;

    let store = QueueStore::new(db.clone(), tables.clone(), "demo-reader");
    let daemon = Daemon::new(
        &settings,
        db.clone(),
        tables,
        ProviderRegistry::from_settings(&settings),
    )
    .map_err(|e| CliError::Output(e.to_string()))?;
    daemon
        .run(all_final(store.clone(), ids.clone()))
        .await
        .map_err(|e| CliError::Output(e.to_string()))?;

    let mut rows = Vec::new();
    for id in &ids {
        if let Some(request) = store.request(*id).await? {
            rows.push(request);
        }
    }
    let messages = simulator.telegram_messages().len();
    simulator.shutdown().await;
    outln!("{}", results_table(&rows, &folder))?;
    outln!("Telegram messages sent to the simulator: {messages}")?;
    outln!("Videos are in {}", folder.join("media/videos").display())?;
    outln!("Database: {}", parsed)?;
    if rows.iter().all(|row| row.status == "done") && rows.len() == ids.len() {
        Ok(())
    } else {
        Err(CliError::Output(
            "not every demo request finished `done`".into(),
        ))
    }
}

fn demo_folder() -> std::io::Result<PathBuf> {
    let nonce: u32 = rand::random();
    let folder =
        std::env::temp_dir().join(format!("genworker-demo-{}-{nonce:08x}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    Ok(folder)
}

fn demo_settings(
    base: &LoadedSettings,
    url: &str,
    simulator: &str,
    folder: &std::path::Path,
    style: KlingApiStyle,
) -> Result<Settings, CliError> {
    let media = folder.join("media").display().to_string();
    let log_format = match base.log_format {
        crate::settings::LogFormat::Json => "json",
        crate::settings::LogFormat::Text => "text",
    };
    let env: HashMap<String, String> = [
        ("DATABASE_URL", url),
        ("LOG_FORMAT", log_format),
        ("KLING_API_KEY", KEY),
        ("KLING_API_SECRET", SECRET),
        (
            "KLING_API_STYLE",
            match style {
                KlingApiStyle::Generic => "generic",
                KlingApiStyle::Official => "official",
            },
        ),
        ("KLING_API_BASE_URL", simulator),
        ("KLING_POLL_INTERVAL", "0.3"),
        ("KLING_ALLOW_PRIVATE_URLS", "true"),
        ("TELEGRAM_BOT_TOKEN", TOKEN),
        ("TELEGRAM_API_BASE_URL", simulator),
        ("MEDIA_ROOT", media.as_str()),
        ("GENWORKER_POLL_INTERVAL", "0.2"),
        ("GENWORKER_WORKER_ID", "demo"),
    ]
    .iter()
    .map(|(key, value)| (key.to_string(), value.to_string()))
    .collect();
    Settings::from_sources(None, env).map_err(CliError::Settings)
}

fn request(kind: &str, prompt: &str, image: Option<&str>) -> NewRequest {
    NewRequest {
        model_slug: "kling-v1".into(),
        prompt: prompt.into(),
        kind: kind.into(),
        image: image.map(str::to_owned),
        chat_id: None,
        user_chat_id: Some(1001),
        params: Map::new(),
    }
}

/// Completes when every request is done, error or cancelled (or the deadline passes).
async fn all_final(store: QueueStore, ids: Vec<i64>) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while tokio::time::Instant::now() < deadline {
        let mut finished = 0;
        for id in &ids {
            if let Ok(Some(request)) = store.request(*id).await
                && matches!(request.status.as_str(), "done" | "error" | "cancelled")
            {
                finished += 1;
            }
        }
        if finished == ids.len() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn results_table(rows: &[GenRequest], folder: &std::path::Path) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING).set_header([
        "ID",
        "TYPE",
        "STATUS",
        "KLING TASK",
        "FILE",
        "SIZE",
        "ERROR",
    ]);
    for row in rows {
        let file = row
            .result_urls
            .0
            .get(0)
            .and_then(|url| url.as_str())
            .and_then(|url| url.rsplit('/').next())
            .map(|name| folder.join("media/videos").join(name));
        let size = file
            .as_ref()
            .and_then(|path| std::fs::metadata(path).ok())
            .map_or_else(
                || "-".to_owned(),
                |meta| format!("{} KiB", meta.len() / 1024),
            );
        table.add_row([
            row.id.to_string(),
            row.generation_type.clone(),
            row.status.clone(),
            row.provider_job_id.clone(),
            file.map_or_else(|| "-".to_owned(), |path| path.display().to_string()),
            size,
            row.error_message.clone(),
        ]);
    }
    table
}
