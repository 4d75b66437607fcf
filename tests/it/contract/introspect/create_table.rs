//! The parts of a SQLite CREATE TABLE statement the catalog does not report:
//! each column's definition text and its CHECK clause.

use std::collections::BTreeMap;

/// Column definitions of a CREATE TABLE statement, keyed by column name;
/// table-level constraints are keyed by their own text in parentheses.
pub(super) fn column_definitions(create_sql: &str) -> BTreeMap<String, String> {
    let Some(start) = create_sql.find('(') else {
        return BTreeMap::new();
    };
    let body = &create_sql[start + 1..create_sql.rfind(')').unwrap_or(create_sql.len())];
    let mut parts = Vec::new();
    let (mut depth, mut in_quotes, mut current) = (0, false, String::new());
    for ch in body.chars() {
        match ch {
            '"' | '\'' => in_quotes = !in_quotes,
            '(' if !in_quotes => depth += 1,
            ')' if !in_quotes => depth -= 1,
            ',' if !in_quotes && depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    parts.push(current);
    let table_keywords = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];
    parts
        .into_iter()
        .map(|part| part.trim().to_owned())
        .map(|part| {
            let first = part.split_whitespace().next().unwrap_or("").to_uppercase();
            if table_keywords.contains(&first.as_str()) {
                (format!("({part})"), part)
            } else {
                (first_identifier(&part), part)
            }
        })
        .collect()
}

fn first_identifier(definition: &str) -> String {
    let trimmed = definition.trim_start();
    if let Some(rest) = trimmed.strip_prefix('"') {
        rest.split('"').next().unwrap_or("").to_owned()
    } else {
        trimmed.split_whitespace().next().unwrap_or("").to_owned()
    }
}

/// The parenthesised expression after `CHECK` in a column definition.
pub(super) fn check_clause(definition: &str) -> Option<String> {
    let start = definition.to_uppercase().find("CHECK")?;
    let rest = &definition[start + "CHECK".len()..];
    let open = rest.find('(')?;
    let mut depth = 0;
    for (offset, ch) in rest[open..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(rest[open..open + offset + 1].to_owned());
                }
            }
            _ => {}
        }
    }
    None
}
