//! Whether Telegram could parse a text's formatting: legacy Markdown (`*bold*`,
//! `_italic_`, `` `code` ``, ``` ```pre``` ```, `[text](url)`, `\` escapes) and
//! HTML (its tags, `&lt;`/`&gt;`/`&amp;`/`&quot;` and numeric entities). A text
//! that fails is answered 400 `can't parse entities`, as the real Bot API does.

/// The tags Telegram's HTML accepts.
const TAGS: [&str; 16] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "tg-emoji",
    "blockquote",
];

/// Why the text's formatting cannot be parsed under `parse_mode`, if it cannot.
pub fn parse_error(text: &str, parse_mode: &str) -> Option<String> {
    match parse_mode {
        "Markdown" => markdown(text),
        "HTML" => html(text),
        _ => None,
    }
}

fn markdown(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    while at < chars.len() {
        match chars[at] {
            '\\' => at += 2,
            '`' if chars[at..].starts_with(&['`', '`', '`']) => match closing(&chars, at + 3) {
                Some(end) => at = end + 3,
                None => return Some(unclosed(at)),
            },
            marker @ ('*' | '_' | '`') => {
                let end = chars[at + 1..].iter().position(|c| *c == marker);
                let Some(end) = end else {
                    return Some(unclosed(at));
                };
                at += end + 2;
            }
            '[' => {
                let rest: String = chars[at..].iter().collect();
                let Some(label_end) = rest.find("](") else {
                    return Some(unclosed(at));
                };
                if !rest[label_end..].contains(')') {
                    return Some(unclosed(at));
                }
                at += rest[..label_end].chars().count() + 2;
            }
            _ => at += 1,
        }
    }
    None
}

/// Where the ``` closing a block opened before `from` starts.
fn closing(chars: &[char], from: usize) -> Option<usize> {
    (from..chars.len()).find(|at| chars[*at..].starts_with(&['`', '`', '`']))
}

fn unclosed(at: usize) -> String {
    format!("Can't find end of the entity starting at byte offset {at}")
}

fn html(text: &str) -> Option<String> {
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(['<', '&']) {
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix('&') {
            let entity = after.find(';').map(|end| &after[..end]);
            let known = entity.is_some_and(|name| {
                matches!(name, "lt" | "gt" | "amp" | "quot")
                    || name
                        .strip_prefix('#')
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            });
            if !known {
                return Some("Unsupported start tag or entity".into());
            }
            rest = after;
            continue;
        }
        let Some(end) = tail.find('>') else {
            return Some("Unclosed start tag".into());
        };
        let tag = &tail[1..end];
        let name = tag
            .trim_start_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !TAGS.contains(&name.as_str()) {
            return Some(format!("Unsupported start tag \"{name}\""));
        }
        if tag.starts_with('/') {
            if open.pop().as_deref() != Some(name.as_str()) {
                return Some(format!("Unmatched end tag \"{name}\""));
            }
        } else {
            open.push(name);
        }
        rest = &tail[end + 1..];
    }
    open.last()
        .map(|tag| format!("Can't find end tag corresponding to start tag \"{tag}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_needs_closed_entities() {
        assert!(parse_error("*bold* and _it_ and `code` and [a](http://x)", "Markdown").is_none());
        for broken in ["my_cat", "a *b", "`x", "[link", "#kling_O1", "```pre"] {
            assert!(parse_error(broken, "Markdown").is_some(), "{broken}");
        }
        assert!(parse_error("my\\_cat", "Markdown").is_none());
        assert!(parse_error("my_cat", "").is_none());
    }

    #[test]
    fn html_needs_known_balanced_tags_and_entities() {
        assert!(parse_error("<b>a</b> <code>x &amp; &lt; &#39;</code>", "HTML").is_none());
        for broken in ["<b>a", "<x>a</x>", "a &am", "a & b", "<code>a</b>"] {
            assert!(parse_error(broken, "HTML").is_some(), "{broken}");
        }
    }
}
