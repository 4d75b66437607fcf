//! The documentation's promises that code can check: DEPLOY.md's variable table is
//! README's, and both name every variable the settings read.

use std::path::Path;

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

#[test]
fn every_variable_the_settings_read_is_documented() {
    let readme = read("README.md");
    let table = variable_table(&readme).join("\n");
    let mut names = Vec::new();
    for file in ["mod.rs", "kling.rs", "telegram.rs", "daemon.rs", "s3.rs"] {
        let source = read(&format!("src/settings/{file}"));
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
    for name in names {
        assert!(
            table.contains(&format!("`{name}`")),
            "{name} is not in README's table"
        );
    }
}
