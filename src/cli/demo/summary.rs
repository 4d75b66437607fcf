//! What the demo prints at the end: a table of the requests, where the videos
//! came from, and what became of its temporary folder.

use std::path::Path;

use comfy_table::{Table, presets};

use super::folder::Fate;
use crate::queue::GenRequest;
use crate::simulator::CLIP;

/// Where the demo's videos are, under its folder.
pub const VIDEOS: &str = "media/videos";
/// The demo's SQLite file, under its folder (without `--database-url`).
pub const DATABASE_FILE: &str = "demo.sqlite3";

/// One row per request: id, model, type, status, provider task, the video's file name
/// (under [`VIDEOS`]) and size, the error. Sizes are read from `videos` now.
pub fn results_table(rows: &[GenRequest], videos: &Path) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING).set_header([
        "ID",
        "MODEL",
        "TYPE",
        "STATUS",
        "PROVIDER TASK",
        "VIDEO",
        "SIZE",
        "ERROR",
    ]);
    for row in rows {
        let name = row
            .result_urls
            .0
            .get(0)
            .and_then(|url| url.as_str())
            .and_then(|url| url.rsplit('/').next())
            .map(str::to_owned);
        let size = name
            .as_ref()
            .and_then(|name| std::fs::metadata(videos.join(name)).ok())
            .map_or_else(|| "-".to_owned(), |meta| format!("{} bytes", meta.len()));
        table.add_row([
            row.id.to_string(),
            row.model.clone(),
            row.generation_type.clone(),
            row.status.clone(),
            row.provider_job_id.clone(),
            name.unwrap_or_else(|| "-".to_owned()),
            size,
            row.error_message.clone(),
        ]);
    }
    table
}

/// The lines after the table. `database` is the URL as printed (no password);
/// `in_folder` says whether the database is the folder's own SQLite file.
pub fn closing(messages: usize, fate: &Fate, database: &str, in_folder: bool) -> String {
    let mut out = format!(
        "The videos come from the simulator, not from Kling or Google Veo: each is the simulator's \
         built-in 1-second 160x120 H.264 test clip ({} bytes), as every simulated \
         generation returns.\n\
         Telegram messages sent to the simulator: {messages}\n",
        CLIP.len()
    );
    let (what, database_line) = if in_folder {
        (
            format!("the videos ({VIDEOS}/) and the database ({DATABASE_FILE})"),
            None,
        )
    } else {
        (
            format!("the videos ({VIDEOS}/)"),
            Some(format!("Database: {database} (left as it is)\n")),
        )
    };
    match fate {
        Fate::Kept(path) => out.push_str(&format!(
            "Kept in {}: {what}; delete the folder when done.\n",
            path.display()
        )),
        Fate::Removed(path) => out.push_str(&format!(
            "Removed the demo's temporary folder {} with {what} (--keep keeps it).\n",
            path.display()
        )),
    }
    out.push_str(database_line.as_deref().unwrap_or_default());
    out
}
