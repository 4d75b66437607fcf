//! Fresh databases and the genworker binary, for tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::{Connection, PgConnection, RunQueryDsl};
use genworker::db::live::ColumnDefaults;
use genworker::db::{Database, DatabaseUrl, OpenMode};

/// Generates one test per backend for each named `async fn(TestDb)`.
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::TestDb::sqlite()).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::TestDb::postgres()).await
                }
            )+
        }
    };
}
pub(crate) use on_both_backends;

/// As [`on_both_backends`], plus a third test on PostgreSQL beside the bot's latest
/// release (`postgres_latest`: the tables of `tests/bot/latest_db/`, loaded as they are).
macro_rules! on_every_schema {
    ($($name:ident),+ $(,)?) => {
        $crate::support::on_both_backends!($($name),+);
        mod postgres_latest {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::TestDb::postgres_latest()).await
                }
            )+
        }
    };
}
pub(crate) use on_every_schema;

/// Which tables a test database starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotRelease {
    /// None: genworker's migrations create them (the b6702256 contract).
    Seed,
    /// The bot's latest release (2d893898), loaded from `tests/bot/latest_db/`.
    Latest,
}

/// The server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The catalog's Kling model (same params, price 69.00 and order 35 at both releases).
#[derive(Debug)]
pub struct KlingModel {
    /// `slug`.
    pub slug: &'static str,
    /// `display_name`.
    pub display_name: &'static str,
    /// The Telegram method the bot's worker of that release uploads videos with.
    pub upload: &'static str,
    /// Columns of `botapp_aimodel`.
    pub columns: usize,
}

/// b6702256's inline main-menu keyboard, as the bot's `json.dumps` writes it.
pub const SEED_MENU: &str = "{\"inline_keyboard\": [[{\"text\": \"\\ud83c\\udfe0 \\u0413\\u043b\\u0430\\u0432\\u043d\\u043e\\u0435 \\u043c\\u0435\\u043d\\u044e\", \"callback_data\": \"main_menu\"}]]}";

const SEED_KLING: KlingModel = KlingModel {
    slug: "kling-v1",
    display_name: "🎥 Kling (Kuaishou)",
    upload: "sendVideo",
    columns: 28,
};

const LATEST_KLING: KlingModel = KlingModel {
    slug: "kling-v2-5-turbo",
    display_name: "🐉 Kling v2-5-turbo",
    upload: "sendDocument",
    columns: 31,
};

/// A database that exists for one test and is removed after it.
pub struct TestDb {
    url: String,
    /// The folder the SQLite file (and anything else the test writes) lives in.
    pub dir: tempfile::TempDir,
    postgres_name: Option<String>,
    /// The tables it started with.
    pub release: BotRelease,
}

impl TestDb {
    /// A path for a new SQLite file (created by the first `migrate`).
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.sqlite3").display());
        Self {
            url,
            dir,
            postgres_name: None,
            release: BotRelease::Seed,
        }
    }

    /// A new, empty PostgreSQL database.
    pub fn postgres() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "gw_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            rand_suffix()
        );
        let admin = postgres_admin_url();
        let mut conn = PgConnection::establish(&admin)
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is needed for this test: {e}"));
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        Self {
            url: url.to_string(),
            dir: tempfile::tempdir().unwrap(),
            postgres_name: Some(name),
            release: BotRelease::Seed,
        }
    }

    /// A new PostgreSQL database holding what the bot's latest release creates
    /// (schema, catalog, `django_migrations`), before `genworker migrate`.
    pub fn postgres_latest() -> Self {
        let mut db = Self::postgres();
        db.release = BotRelease::Latest;
        let mut conn = PgConnection::establish(db.url()).unwrap();
        for file in ["schema", "data"] {
            let path = format!(
                "{}/tests/bot/latest_db/{file}.postgres.sql",
                env!("CARGO_MANIFEST_DIR")
            );
            let sql = std::fs::read_to_string(&path).unwrap();
            diesel::connection::SimpleConnection::batch_execute(&mut conn, &sql)
                .unwrap_or_else(|e| panic!("{path}: {e}"));
        }
        db
    }

    /// The Kling model the catalog starts with: the seed's `kling-v1`, or the
    /// model the latest release renamed it to.
    pub fn kling_slug(&self) -> &'static str {
        self.kling().slug
    }

    /// The caption the bot's own worker of this release sends for a finished
    /// text2video request of the Kling model with its default params (10 s,
    /// 16:9, 1080p), charged `charged` (e.g. `69.00`) with `balance` left after.
    pub fn bot_caption(&self, english: bool, prompt: &str, charged: &str, balance: &str) -> String {
        match (self.release, english) {
            (BotRelease::Seed, false) => format!(
                "Ваш запрос: {prompt}. Инструмент: text2video. Продолжительность: 10 сек. \
                 Соотношение сторон: 16:9. Разрешение: 1080p. Модель: #klingv1. \
                 Списано: ⚡-{charged}. Баланс: ⚡{balance}."
            ),
            (BotRelease::Seed, true) => format!(
                "Your request: {prompt}. Tool: text2video. Duration: 10 s. Aspect ratio: 16:9. \
                 Resolution: 1080p. Model: #klingv1. Charged: ⚡-{charged}. Balance: ⚡{balance}."
            ),
            (BotRelease::Latest, false) => format!(
                "✅Готово!\n\n<b>Модель:</b> 🐉 Kling v2-5-turbo\n<b>Режим:</b> Текст → Видео\n\
                 <b>Формат:</b> 16:9\n<b>Разрешение:</b> 1080p\n<b>Продолжительность:</b> 10 сек.\n\n\
                 <b>Списано:</b> ⚡{charged}\n<b>Баланс:</b> ⚡{balance}\n\n\
                 <b>Промпт:</b> <code>{prompt}</code>"
            ),
            (BotRelease::Latest, true) => format!(
                "✅Done!\n\n<b>Model:</b> 🐉 Kling v2-5-turbo\n<b>Mode:</b> Text → Video\n\
                 <b>Format:</b> 16:9\n<b>Resolution:</b> 1080p\n<b>Duration:</b> 10 s.\n\n\
                 <b>Charged:</b> ⚡{charged}\n<b>Balance:</b> ⚡{balance}\n\n\
                 <b>Prompt:</b> <code>{prompt}</code>"
            ),
        }
    }

    /// The keyboard the bot's worker of this release sends with a Kling video, as
    /// its `json.dumps` writes it.
    pub fn bot_video_keyboard(&self) -> &'static str {
        match self.release {
            BotRelease::Seed => SEED_MENU,
            BotRelease::Latest => "{\"inline_keyboard\": []}",
        }
    }

    /// What the catalog says of that model.
    pub fn kling(&self) -> &'static KlingModel {
        match self.release {
            BotRelease::Seed => &SEED_KLING,
            BotRelease::Latest => &LATEST_KLING,
        }
    }

    /// The DATABASE_URL of this database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Whether this is the PostgreSQL flavour.
    pub fn is_postgres(&self) -> bool {
        self.postgres_name.is_some()
    }

    /// A pool on this database (creating the SQLite file when missing).
    pub async fn open(&self) -> Database {
        let url: DatabaseUrl = self.url.parse().unwrap();
        Database::open(&url, OpenMode::CreateIfMissing, 4)
            .await
            .unwrap()
    }

    /// A pool on this database with every migration applied.
    pub async fn migrated(&self) -> Database {
        self.migrated_with(&ColumnDefaults::default()).await
    }

    /// As [`TestDb::migrated`], with the operator's `GENWORKER_COLUMN_DEFAULTS`.
    pub async fn migrated_with(&self, defaults: &ColumnDefaults) -> Database {
        let db = self.open().await;
        genworker::db::migrate::run_pending(&db, defaults)
            .await
            .unwrap();
        db
    }

    /// Runs the genworker binary with DATABASE_URL set to this database.
    pub fn cli(&self, args: &[&str]) -> Output {
        genworker_cli(
            self.dir.path(),
            &[("DATABASE_URL", self.url.as_str())],
            args,
        )
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.postgres_name
            && let Ok(mut conn) = PgConnection::establish(&postgres_admin_url())
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

fn rand_suffix() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    nanos % 100_000
}

/// Runs the genworker binary in `dir` with exactly these variables (plus PATH).
pub fn genworker_cli(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(binary());
    command.args(args).current_dir(dir).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_genworker"))
}

/// Standard output of a finished command, asserting it succeeded.
pub fn success(output: &Output) -> String {
    assert!(
        output.status.success(),
        "command failed: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error of a finished command, asserting it failed.
pub fn failure(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "command should have failed:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A loopback address no one listens on now (for a daemon's GENWORKER_HTTP_ADDR).
pub fn free_addr() -> String {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().to_string()
}
