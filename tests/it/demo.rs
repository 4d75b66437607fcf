//! `genworker demo` as a process, in a temporary directory of its own
//! (`TMPDIR`): its summary says the videos come from the simulator, its folder
//! is removed at the end unless `--keep`, and the videos it keeps are playable
//! H.264 MP4 files.

use std::path::{Path, PathBuf};

use crate::mp4::check_h264;
use crate::support::{genworker_cli, success};

/// The `genworker-demo-*` entries of `tmp`.
fn demo_folders(tmp: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(tmp)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("genworker-demo-"))
        })
        .collect()
}

/// Runs the demo with `TMPDIR=tmp` and returns its standard output.
fn demo(tmp: &Path, args: &[&str]) -> String {
    let tmpdir = tmp.display().to_string();
    let mut all = vec!["demo"];
    all.extend_from_slice(args);
    let stdout = success(&genworker_cli(
        tmp,
        &[("TMPDIR", tmpdir.as_str()), ("RUST_LOG", "warn")],
        &all,
    ));
    assert!(
        stdout.contains("The videos come from the simulator, not from Kling"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Telegram messages sent to the simulator: 3"),
        "{stdout}"
    );
    stdout
}

#[test]
fn the_demo_removes_its_temporary_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let stdout = demo(tmp.path(), &[]);
    assert!(
        stdout.contains("Removed the demo's temporary folder"),
        "{stdout}"
    );
    assert!(stdout.contains("(--keep keeps it)"), "{stdout}");
    assert_eq!(demo_folders(tmp.path()), Vec::<PathBuf>::new(), "{stdout}");
}

#[test]
fn with_keep_the_demo_says_where_its_playable_videos_are() {
    let tmp = tempfile::tempdir().unwrap();
    let stdout = demo(tmp.path(), &["--keep"]);
    let folders = demo_folders(tmp.path());
    assert_eq!(folders.len(), 1, "{stdout}");
    let folder = &folders[0];
    assert!(
        stdout.contains(&format!(
            "Kept in {}: the videos (media/videos/) and the database (demo.sqlite3)",
            folder.display()
        )),
        "{stdout}"
    );
    assert!(folder.join("demo.sqlite3").is_file());
    let videos: Vec<PathBuf> = std::fs::read_dir(folder.join("media/videos"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(videos.len(), 3, "{videos:?}");
    for video in &videos {
        let name = video.file_name().unwrap().to_str().unwrap();
        assert!(
            stdout.contains(name),
            "{name} not in the summary:\n{stdout}"
        );
        let bytes = std::fs::read(video).unwrap();
        let read = check_h264(&bytes).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!((read.width, read.height, read.samples), (160, 120, 10));
    }
}
