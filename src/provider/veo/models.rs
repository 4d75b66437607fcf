//! Model-name candidates, by the bot's rule (veo_vertex.md §2): the catalog's
//! `api_model_name`, its base before `@`, known aliases, `-generate`,
//! `-generate-preview` and `-generate-001` forms, then each with `@default`.
//! Submit tries them in order while the API says the model is not found.

/// Model ids each short name stands for.
const ALIASES: [(&str, &[&str]); 5] = [
    (
        "veo-3.1-fast",
        &["veo-3.1-fast-generate-preview", "veo-3.1-fast-generate-001"],
    ),
    (
        "veo-3.1",
        &["veo-3.1-generate-preview", "veo-3.1-generate-001"],
    ),
    ("veo-3.0-fast", &["veo-3.0-fast-generate-001"]),
    ("veo-3.0", &["veo-3.0-generate-001"]),
    ("veo-2.0", &["veo-2.0-generate-001"]),
];

/// The names to try for `name`, in order, without duplicates.
pub fn candidates(name: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let add = |names: &mut Vec<String>, candidate: String| {
        if !candidate.is_empty() && !names.contains(&candidate) {
            names.push(candidate);
        }
    };
    let base = base(name);
    add(&mut names, name.to_owned());
    add(&mut names, base.to_owned());
    if let Some((_, ids)) = ALIASES.iter().find(|(key, _)| *key == name || *key == base) {
        for id in *ids {
            add(&mut names, (*id).to_owned());
        }
    }
    for suffix in ["-generate", "-generate-preview", "-generate-001"] {
        if !base.contains(suffix) {
            add(&mut names, format!("{base}{suffix}"));
        }
    }
    for existing in names.clone() {
        add(&mut names, format!("{}@default", self::base(&existing)));
    }
    names
}

/// The part before `@`.
fn base(name: &str) -> &str {
    name.split('@').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_name_gives_the_bots_four_candidates() {
        assert_eq!(
            candidates("veo-3.1-fast-generate-preview"),
            [
                "veo-3.1-fast-generate-preview",
                "veo-3.1-fast-generate-preview-generate-001",
                "veo-3.1-fast-generate-preview@default",
                "veo-3.1-fast-generate-preview-generate-001@default",
            ]
        );
    }

    #[test]
    fn the_pro_name_gives_eight_and_aliases_expand() {
        let pro = candidates("veo-3.1-pro");
        assert_eq!(pro.len(), 8, "{pro:?}");
        assert_eq!(pro[0], "veo-3.1-pro");
        assert_eq!(pro[1], "veo-3.1-pro-generate");
        assert!(pro.contains(&"veo-3.1-pro-generate-001@default".to_owned()));
        let fast = candidates("veo-3.1-fast@default");
        assert_eq!(
            &fast[..4],
            [
                "veo-3.1-fast@default",
                "veo-3.1-fast",
                "veo-3.1-fast-generate-preview",
                "veo-3.1-fast-generate-001"
            ]
        );
        assert_eq!(fast[4], "veo-3.1-fast-generate");
    }
}
