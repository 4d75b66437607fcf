//! The documentation's promises that code can check: DEPLOY.md's variable table is
//! README's, both name every variable the settings read, and `run --help` lists
//! them all.

use std::path::Path;

use crate::support::{genworker_cli, success};

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The table that starts at the `| variable | default | meaning |` header.
fn variable_table(text: &str) -> Vec<&str> {
    text.lines()
        .skip_while(|line| *line != "| variable | default | meaning |")
        .take_while(|line| line.starts_with('|'))
        .collect()
}

#[test]
fn deploy_guide_variables_are_the_readme_s() {
    let readme = read("README.md");
    let deploy = read("docs/DEPLOY.md");
    let ours = variable_table(&readme);
    assert!(ours.len() > 20, "README's table: {ours:?}");
    assert_eq!(variable_table(&deploy), ours);
}

/// The variable names of README's table, in its order.
fn readme_variables() -> Vec<String> {
    let readme = read("README.md");
    variable_table(&readme)
        .iter()
        .skip(2)
        .map(|row| {
            let first = row.trim_start_matches('|').split('|').next().unwrap_or("");
            first.trim().trim_matches('`').to_owned()
        })
        .collect()
}

#[test]
fn every_variable_the_settings_read_is_documented() {
    let table = readme_variables();
    let known: Vec<&str> = genworker::settings::VARIABLES
        .iter()
        .map(|variable| variable.name)
        .collect();
    let mut names = Vec::new();
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/settings");
    for entry in std::fs::read_dir(&folder).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for quoted in source.split('"').skip(1).step_by(2) {
            let is_name = quoted.len() > 3
                && quoted.contains('_')
                && quoted
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_uppercase())
                && quoted
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if is_name {
                names.push(quoted.to_owned());
            }
        }
    }
    assert!(names.iter().any(|n| n == "KLING_API_KEY"), "{names:?}");
    assert!(names.iter().any(|n| n == "S3_BUCKET"), "{names:?}");
    assert!(
        names.iter().any(|n| n == "GENWORKER_DB_POOL_SIZE"),
        "{names:?}"
    );
    for name in &names {
        assert!(table.contains(name), "{name} is not in README's table");
        // The settings file takes exactly these keys.
        assert!(
            known.contains(&name.as_str()),
            "{name} is read but not in settings::VARIABLES"
        );
    }
    // README's table is the settings' variables and the log filter, in the same order.
    let mut expected: Vec<String> = known.iter().map(|name| (*name).to_owned()).collect();
    expected.push(genworker::telemetry::FILTER_VARIABLE.to_owned());
    assert_eq!(table, expected);
}

#[test]
fn run_help_lists_every_variable_of_the_readme_table() {
    let dir = tempfile::tempdir().unwrap();
    let help = success(&genworker_cli(dir.path(), &[], &["run", "--help"]));
    let listed: Vec<String> = help
        .lines()
        .skip_while(|line| !line.starts_with("Environment variables"))
        .skip(1)
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    assert_eq!(listed, readme_variables(), "{help}");
    assert!(help.contains("README.md"), "{help}");
}
