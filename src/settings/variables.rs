//! Every variable the settings read, each with a few words on what it sets: the
//! keys a settings file may hold (the same names in lower case) and the list
//! `genworker run --help` prints. README's variable table is the long form; a test
//! keeps the two the same.

/// One variable the settings read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// Its name in the environment (upper case); the file's key is it in lower case.
    pub name: &'static str,
    /// What it sets, in a few words.
    pub summary: &'static str,
}

const fn var(name: &'static str, summary: &'static str) -> Variable {
    Variable { name, summary }
}

/// Every variable, in README's order.
pub const VARIABLES: &[Variable] = &[
    var(
        "DATABASE_URL",
        "postgres://… or sqlite://PATH (a bare path: SQLite)",
    ),
    var("GENWORKER_DB_POOL_SIZE", "database connections per process"),
    var("LOG_FORMAT", "text or json log lines on standard error"),
    var(
        "GENWORKER_COLUMN_DEFAULTS",
        "JSON {\"table.column\": value} for NOT NULL columns genworker does not know",
    ),
    var("GENWORKER_CONCURRENCY", "jobs in flight per process"),
    var(
        "GENWORKER_POLL_INTERVAL",
        "seconds between polls of the queue",
    ),
    var("GENWORKER_LEASE_SECONDS", "a claim's lease, in seconds"),
    var(
        "GENWORKER_MAX_ATTEMPTS",
        "retryable failures before a request fails",
    ),
    var(
        "GENWORKER_RETRY_BASE",
        "seconds before the first retry, doubled per failure",
    ),
    var(
        "GENWORKER_SHUTDOWN_GRACE",
        "seconds jobs get to finish after SIGTERM",
    ),
    var("GENWORKER_WORKER_ID", "this process's name in leases"),
    var(
        "GENWORKER_TAKEOVER",
        "take over a dead worker's leases at once (the worker registry)",
    ),
    var(
        "GENWORKER_HTTP_ADDR",
        "serve /healthz and /metrics here (off when unset)",
    ),
    var(
        "GENWORKER_CALLBACK_URL",
        "the public base URL of GENWORKER_HTTP_ADDR, for provider callbacks",
    ),
    var(
        "GENWORKER_CALLBACK_SECRET",
        "the key of the callbacks' tokens (16+ characters, the same on every replica)",
    ),
    var(
        "MEDIA_ROOT",
        "where videos are stored (videos/<run_code>.<ext>)",
    ),
    var("MEDIA_URL", "prefix of result_urls"),
    var("S3_BUCKET", "store videos in this S3-compatible bucket"),
    var("S3_ENDPOINT", "the S3 API's URL (unset: AWS)"),
    var("S3_REGION", "the bucket's region"),
    var("S3_ACCESS_KEY_ID", "the S3 access key id"),
    var("S3_SECRET_ACCESS_KEY", "the S3 secret key (never printed)"),
    var(
        "S3_PUBLIC_URL",
        "the URL the bucket's objects are served under",
    ),
    var(
        "KLING_API_KEY",
        "Kling's API key (required for Kling; never printed)",
    ),
    var("KLING_API_SECRET", "Kling's API secret (never printed)"),
    var("KLING_ORGANIZATION_ID", "sent as X-Kling-Org"),
    var("KLING_API_BASE_URL", "the Kling API's origin"),
    var(
        "KLING_API_STYLE",
        "generic (the seed's API), official or useapi (the bot's latest release)",
    ),
    var(
        "KLING_CREATE_ENDPOINT",
        "task creation path (generic style)",
    ),
    var(
        "KLING_STATUS_ENDPOINT",
        "task status path with {job_id} (generic style)",
    ),
    var("KLING_POLL_INTERVAL", "seconds between status polls"),
    var(
        "KLING_CALLBACK_POLL_INTERVAL",
        "official style, callbacks on: seconds between fallback polls",
    ),
    var("KLING_POLL_TIMEOUT", "seconds before a task is given up"),
    var("KLING_REQUEST_TIMEOUT", "seconds per API request"),
    var(
        "KLING_EXTRA_HEADERS",
        "JSON object of strings sent with every API call",
    ),
    var("KLING_MAX_CONCURRENT", "Kling tasks in flight per process"),
    var("KLING_MAX_VIDEO_MB", "larger videos are refused"),
    var(
        "USEAPI_API_KEY",
        "useapi.net style: the API key, else KLING_API_KEY (never printed)",
    ),
    var("USEAPI_BASE_URL", "useapi.net style: the API's origin"),
    var(
        "USEAPI_POLL_INTERVAL",
        "useapi.net style: seconds between polls",
    ),
    var(
        "USEAPI_POLL_TIMEOUT",
        "useapi.net style: seconds before a task is given up",
    ),
    var(
        "USEAPI_REQUEST_TIMEOUT",
        "useapi.net style: seconds per request",
    ),
    var(
        "USEAPI_KLING_MAX_JOBS",
        "useapi.net style: the account's parallel jobs (maxJobs)",
    ),
    var(
        "USEAPI_MAX_JOBS",
        "useapi.net style: maxJobs when USEAPI_KLING_MAX_JOBS is unset",
    ),
    var(
        "USEAPI_KLING_ACCOUNT_EMAIL",
        "useapi.net style: the Kling account's email",
    ),
    var(
        "USEAPI_KLING_ACCOUNT_PASSWORD",
        "useapi.net style: its password, for the account set-up (never printed)",
    ),
    var(
        "KLING_ALLOW_PRIVATE_URLS",
        "the old name of GENWORKER_ALLOW_PRIVATE_URLS",
    ),
    var(
        "GENWORKER_ALLOW_PRIVATE_URLS",
        "allow result URLs on private addresses (every provider)",
    ),
    var("VEO_API_STYLE", "vertex (the bot's) or gemini"),
    var(
        "GOOGLE_APPLICATION_CREDENTIALS_JSON",
        "Vertex: the service-account key JSON, or its path (never printed)",
    ),
    var("VERTEX_PROJECT_ID", "Vertex: the Google Cloud project"),
    var(
        "GCP_PROJECT_ID",
        "Vertex: the project when VERTEX_PROJECT_ID is unset",
    ),
    var(
        "VERTEX_LOCATION",
        "Vertex: the region (default us-central1)",
    ),
    var(
        "GCP_LOCATION",
        "Vertex: the region when VERTEX_LOCATION is unset",
    ),
    var("GEMINI_API_KEY", "Gemini API: the API key (never printed)"),
    var("VERTEX_API_BASE_URL", "Vertex: the API's origin"),
    var("GEMINI_API_BASE_URL", "Gemini API: the API's origin"),
    var(
        "GOOGLE_OAUTH_TOKEN_URL",
        "Vertex: the OAuth2 token endpoint (default: the key's token_uri)",
    ),
    var(
        "GOOGLE_STORAGE_BASE_URL",
        "Vertex: where gs:// results are downloaded from",
    ),
    var("VEO_POLL_INTERVAL", "seconds between operation polls"),
    var(
        "VEO_POLL_TIMEOUT",
        "seconds before an operation is given up",
    ),
    var("VEO_REQUEST_TIMEOUT", "seconds per Veo API request"),
    var("VEO_MAX_CONCURRENT", "Veo operations in flight per process"),
    var("VEO_MAX_VIDEO_MB", "larger Veo videos are refused"),
    var(
        "TELEGRAM_BOT_TOKEN",
        "notifications and image2video input (never printed)",
    ),
    var("TELEGRAM_API_BASE_URL", "the Bot API"),
    var(
        "GENWORKER_MESSAGE_STYLE",
        "auto, b6702256 or 2d893898: which bot release's messages",
    ),
    var(
        "PAYMENT_MINI_APP_URL",
        "the bot's payment mini app (its top-up button)",
    ),
    var(
        "PUBLIC_BASE_URL",
        "the bot's public URL (the mini app without the above)",
    ),
];

/// The variable whose file key is `key`, if any.
pub fn by_key(key: &str) -> Option<&'static Variable> {
    VARIABLES
        .iter()
        .find(|variable| variable.name.to_ascii_lowercase() == key)
}

fn has_upper(text: &str) -> bool {
    text.chars().any(|ch| ch.is_ascii_uppercase())
}

/// What to tell the author of an unknown file key: the key it was probably meant
/// to be, if one is close.
pub(super) fn hint(key: &str) -> Option<String> {
    let filter = crate::telemetry::FILTER_VARIABLE;
    if key.eq_ignore_ascii_case(filter) {
        return Some(format!("{filter} is read from the environment only"));
    }
    if has_upper(key) && VARIABLES.iter().any(|v| v.name.eq_ignore_ascii_case(key)) {
        return Some(format!(
            "keys are written in lower case: `{}`",
            key.to_ascii_lowercase()
        ));
    }
    let lower = key.to_ascii_lowercase();
    VARIABLES
        .iter()
        .map(|variable| {
            let name = variable.name.to_ascii_lowercase();
            (edit_distance(&lower, &name), name)
        })
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, name)| format!("did you mean `{name}`?"))
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_names_in_lower_case() {
        assert_eq!(by_key("database_url").unwrap().name, "DATABASE_URL");
        assert!(by_key("DATABASE_URL").is_none());
        assert!(by_key("databse_url").is_none());
    }

    #[test]
    fn unknown_keys_get_the_likely_one() {
        assert_eq!(
            hint("databse_url").as_deref(),
            Some("did you mean `database_url`?")
        );
        assert_eq!(
            hint("KLING_API_KEY").as_deref(),
            Some("keys are written in lower case: `kling_api_key`")
        );
        assert_eq!(
            hint("rust_log").as_deref(),
            Some("RUST_LOG is read from the environment only")
        );
        assert_eq!(hint("colour"), None);
    }

    #[test]
    fn names_are_unique() {
        for (i, variable) in VARIABLES.iter().enumerate() {
            assert!(
                VARIABLES[..i].iter().all(|v| v.name != variable.name),
                "{} twice",
                variable.name
            );
        }
    }
}
