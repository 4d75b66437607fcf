//! What every command shares, through the real binary: a database that refuses
//! is reported at once with its cause.

use std::time::{Duration, Instant};

use crate::support::{failure, genworker_cli, postgres_admin_url};

#[test]
fn postgres_a_refusing_database_is_reported_at_once_with_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    let mut url = url::Url::parse(&postgres_admin_url()).unwrap();
    url.set_path("gw_no_such_database");
    url.set_password(Some("pw-never-shown-42")).unwrap();
    let mut no_role = url.clone();
    no_role.set_path("postgres");
    no_role.set_username("gw_no_such_role").unwrap();
    let cases = [
        (
            &url,
            &["models", "list"][..],
            "database \"gw_no_such_database\" does not exist",
        ),
        (
            &url,
            &["migrate"][..],
            "database \"gw_no_such_database\" does not exist",
        ),
        (
            &url,
            &["requests", "list"][..],
            "database \"gw_no_such_database\" does not exist",
        ),
        (
            &no_role,
            &["models", "list"][..],
            "role \"gw_no_such_role\" does not exist",
        ),
    ];
    for (url, args, cause) in cases {
        let started = Instant::now();
        let message = failure(&genworker_cli(
            dir.path(),
            &[("DATABASE_URL", url.as_str())],
            args,
        ));
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(2),
            "{args:?} took {took:?}: {message}"
        );
        assert!(message.contains(cause), "{args:?}: {message}");
        assert!(
            message.contains("connection failed: "),
            "{args:?}: {message}"
        );
        assert!(!message.contains("timed out"), "{args:?}: {message}");
        assert!(
            !message.contains("pw-never-shown-42"),
            "{args:?}: {message}"
        );
        assert!(
            message.contains(":***@"),
            "the URL is shown redacted: {message}"
        );
        assert_eq!(message.lines().count(), 1, "one line: {message}");
    }
}

#[test]
fn a_sqlite_file_that_is_no_database_is_reported_at_once_with_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.sqlite3");
    std::fs::write(&path, "these are notes, not a database\n".repeat(100)).unwrap();
    let url = format!("sqlite://{}", path.display());
    for args in [&["models", "list"][..], &["migrate"][..]] {
        let started = Instant::now();
        let message = failure(&genworker_cli(dir.path(), &[("DATABASE_URL", &url)], args));
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(2),
            "{args:?} took {took:?}: {message}"
        );
        assert!(
            message.contains("file is not a database"),
            "{args:?}: {message}"
        );
        assert!(!message.contains("timed out"), "{args:?}: {message}");
    }
}
