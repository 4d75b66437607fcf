//! `genworker demo`: the README's main job. A fresh embedded SQLite database in a
//! temporary folder (unless `--database-url`), migrations, the simulator in this
//! process, one Kling text2video and one Kling image2video request (its input
//! the simulator's built-in photo) and one Veo text2video request, processed by
//! the real daemon, then a table of the results. The temporary folder is removed
//! at the end unless `--keep`.

mod folder;
mod summary;
mod veo_model;

pub use folder::FolderError;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use comfy_table::Table;
use serde_json::Map;

use super::CliError;
use super::output::outln;
use crate::daemon::Daemon;
use crate::db::live::{RowError, Tables, needs};
use crate::db::{Database, DatabaseUrl, DatabaseUrlError, OpenMode, migrate};
use crate::provider::ProviderRegistry;
use crate::queue::admin::{NewRequest, enqueue};
use crate::queue::{AdminError, QueueStore};
use crate::settings::{KlingApiStyle, LoadedSettings, Settings, VeoApiStyle};
use crate::simulator::{
    CLIP, Knobs, SIM_GEMINI_API_KEY, SIM_PHOTO_FILE_ID, SIM_VERTEX_PROJECT, Simulator,
    SimulatorConfig,
};
use folder::DemoFolder;
use summary::{DATABASE_FILE, VIDEOS, closing, results_table};

/// Options of `genworker demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Use this database instead of a new SQLite file in a temporary folder.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
    /// Which Kling API the simulator and the daemon speak: `generic` (the seed's),
    /// `official` (JWT signed with the secret) or `useapi` (the bot's latest release).
    #[arg(long, default_value = "generic", value_parser = str::parse::<KlingApiStyle>)]
    kling_style: KlingApiStyle,
    /// Which Google API the Veo request goes through: `vertex` (a service
    /// account, the bot's) or `gemini` (an API key).
    #[arg(long, default_value = "vertex", value_parser = str::parse::<VeoApiStyle>)]
    veo_style: VeoApiStyle,
    /// Keep the temporary folder (the videos, and the database without
    /// `--database-url`) instead of removing it at the end; the summary says where.
    #[arg(long)]
    keep: bool,
}

const KEY: &str = "demo-kling-key";
const SECRET: &str = "demo-kling-secret";
const TOKEN: &str = "123456:demo-bot-token";

/// The demo's Kling API key, Kling secret, Telegram bot token and Gemini API
/// key: none may ever appear in a log line or a stored error (the secret-leak
/// test looks for them, and for the service account's key and tokens).
pub const DEMO_SECRETS: [&str; 4] = [KEY, SECRET, TOKEN, SIM_GEMINI_API_KEY];
/// How long the demo waits for its requests.
const DEADLINE: Duration = Duration::from_secs(90);

/// Why the demo could not run, or did not end well.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// `--database-url` is not a database URL.
    #[error("--database-url: {0}")]
    DatabaseUrl(#[source] DatabaseUrlError),
    /// The simulator could not start.
    #[error("cannot start the simulator: {0}")]
    Simulator(#[source] std::io::Error),
    /// The catalog has no Veo model and the bot's could not be added.
    #[error("cannot add the demo's Veo model: {0}")]
    VeoModel(#[source] RowError),
    /// A demo request could not be enqueued.
    #[error("cannot enqueue a demo request: {0}")]
    Enqueue(#[source] AdminError),
    /// Some request ended otherwise than `done` (the table above says how).
    #[error("not every demo request finished `done`")]
    NotAllDone,
}

/// What the demo found, printed once its folder is dealt with.
struct Report {
    table: Table,
    messages: usize,
    database: String,
    all_done: bool,
}

/// Runs the demo; fails unless every request ends `done`.
pub async fn run(base: &LoadedSettings, args: DemoArgs) -> Result<(), CliError> {
    let folder = DemoFolder::create(args.keep)?;
    let in_folder = args.database_url.is_none();
    // Every handle on the folder's files (the database pool) is gone when
    // `process` returns, so the folder can be removed.
    let report = process(base, args, &folder).await;
    let fate = folder.finish();
    let report = match (report, &fate) {
        (Ok(report), _) => report,
        (Err(error), Err(cleanup)) => {
            tracing::warn!(error = %cleanup, "demo folder not removed");
            return Err(error);
        }
        (Err(error), Ok(_)) => return Err(error),
    };
    outln!("{}", report.table)?;
    let fate = fate?;
    super::output::write_flushed(&closing(
        report.messages,
        &fate,
        &report.database,
        in_folder,
    ))?;
    if report.all_done {
        Ok(())
    } else {
        Err(DemoError::NotAllDone.into())
    }
}

/// Sets up the database and the simulator, runs the requests to the end.
async fn process(
    base: &LoadedSettings,
    args: DemoArgs,
    folder: &DemoFolder,
) -> Result<Report, CliError> {
    let url = args
        .database_url
        .unwrap_or_else(|| format!("sqlite://{}", folder.path().join(DATABASE_FILE).display()));
    let parsed: DatabaseUrl = url.parse().map_err(DemoError::DatabaseUrl)?;
    let column_defaults = base.column_defaults()?;
    let db = Database::open(&parsed, OpenMode::CreateIfMissing, 8).await?;
    migrate::run_pending(&db, column_defaults).await?;
    let tables = Arc::new(Tables::read(&db, column_defaults, &needs::INSERTED).await?);

    let mut config = SimulatorConfig::new(KEY, SECRET, TOKEN);
    config.knobs = Knobs {
        finish_after_ms: 1500,
        // The clip as it is, the file ffmpeg made.
        video_bytes: CLIP.len() as u64,
        ..Knobs::default()
    };
    let simulator = Simulator::start(config)
        .await
        .map_err(DemoError::Simulator)?;
    let settings = demo_settings(
        base,
        &url,
        &simulator,
        folder.path(),
        (args.kling_style, args.veo_style),
    )?;

    let veo = veo_model::ensure(&db, &tables).await?;
    let text = request(
        "kling-v1",
        "text2video",
        "A red fox running through fresh snow at sunrise",
        None,
    );
    let image = request(
        "kling-v1",
        "image2video",
        "Make this picture come alive",
        Some(SIM_PHOTO_FILE_ID),
    );
    let moon = request(
        &veo,
        "text2video",
        "What if the moon were made of glass?",
        None,
    );
    let ids = [
        enqueue(&db, &tables, text).await,
        enqueue(&db, &tables, image).await,
        enqueue(&db, &tables, moon).await,
    ]
    .into_iter()
    .map(|made| made.map(|made| made.id))
    .collect::<Result<Vec<_>, _>>()
    .map_err(DemoError::Enqueue)?;

    let store = QueueStore::new(db.clone(), tables.clone(), "demo-reader");
    let daemon = Daemon::new(
        &settings,
        db.clone(),
        tables,
        ProviderRegistry::from_settings(&settings),
    )?;
    daemon.run(all_final(store.clone(), ids.clone())).await?;

    let mut rows = Vec::new();
    for id in &ids {
        if let Some(request) = store.request(*id).await? {
            rows.push(request);
        }
    }
    let messages = simulator.telegram_messages().len();
    simulator.shutdown().await;
    Ok(Report {
        table: results_table(&rows, &folder.path().join(VIDEOS)),
        messages,
        database: parsed.to_string(),
        all_done: rows.len() == ids.len() && rows.iter().all(|row| row.status == "done"),
    })
}

fn demo_settings(
    base: &LoadedSettings,
    url: &str,
    simulator: &Simulator,
    folder: &std::path::Path,
    (kling_style, veo_style): (KlingApiStyle, VeoApiStyle),
) -> Result<Settings, CliError> {
    let media = folder.join("media").display().to_string();
    let service_account = simulator.service_account_json();
    let simulator = simulator.base_url();
    let simulator = simulator.as_str();
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
            match kling_style {
                KlingApiStyle::Generic => "generic",
                KlingApiStyle::Official => "official",
                KlingApiStyle::Useapi => "useapi",
            },
        ),
        ("KLING_API_BASE_URL", simulator),
        ("KLING_POLL_INTERVAL", "0.3"),
        ("USEAPI_BASE_URL", simulator),
        ("USEAPI_POLL_INTERVAL", "0.3"),
        (
            "VEO_API_STYLE",
            match veo_style {
                VeoApiStyle::Vertex => "vertex",
                VeoApiStyle::Gemini => "gemini",
            },
        ),
        ("GOOGLE_APPLICATION_CREDENTIALS_JSON", &service_account),
        ("VERTEX_PROJECT_ID", SIM_VERTEX_PROJECT),
        ("VERTEX_API_BASE_URL", simulator),
        ("GOOGLE_STORAGE_BASE_URL", simulator),
        ("GEMINI_API_BASE_URL", simulator),
        ("GEMINI_API_KEY", SIM_GEMINI_API_KEY),
        ("VEO_POLL_INTERVAL", "0.3"),
        ("GENWORKER_ALLOW_PRIVATE_URLS", "true"),
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

fn request(model: &str, kind: &str, prompt: &str, image: Option<&str>) -> NewRequest {
    NewRequest {
        model_slug: model.into(),
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
