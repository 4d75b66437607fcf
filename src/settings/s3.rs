//! Result storage in an S3-compatible bucket (AWS S3, Supabase Storage, MinIO):
//! `S3_BUCKET`, `S3_ENDPOINT`, `S3_REGION`, `S3_ACCESS_KEY_ID`,
//! `S3_SECRET_ACCESS_KEY`, `S3_PUBLIC_URL`. All or nothing: without `S3_BUCKET`
//! (and every other `S3_*` unset) videos stay under `MEDIA_ROOT`.

use secrecy::SecretString;
use url::Url;

use super::SettingsError;
use super::source::Source;

/// The variables that only mean something together with `S3_BUCKET`.
const DEPENDENT: [&str; 5] = [
    "S3_ENDPOINT",
    "S3_REGION",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_PUBLIC_URL",
];

/// Where finished videos are uploaded, and the URL they are served under.
#[derive(Debug, Clone)]
pub struct S3Settings {
    /// `S3_BUCKET`: the bucket's name.
    pub bucket: String,
    /// `S3_ENDPOINT`: the S3 API's origin (MinIO, Supabase's `…/storage/v1/s3`);
    /// unset for AWS, which is then reached through `S3_REGION`. No trailing `/`.
    pub endpoint: Option<String>,
    /// `S3_REGION` (default `us-east-1`).
    pub region: String,
    /// `S3_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `S3_SECRET_ACCESS_KEY`: signs every request, so never printed.
    pub secret_access_key: SecretString,
    /// `S3_PUBLIC_URL`: the URL the bucket's objects are served under, ending in
    /// `/`; `result_urls` holds it followed by the object key (`videos/<file>`).
    pub public_url: String,
}

impl S3Settings {
    /// `None` when no `S3_*` variable is set; an error naming the first missing
    /// variable when only some are.
    pub(super) fn read(source: &Source) -> Result<Option<Self>, SettingsError> {
        let Some(bucket) = source.raw("S3_BUCKET")? else {
            for variable in DEPENDENT {
                if source.raw(variable)?.is_some() {
                    return Err(SettingsError::invalid(
                        "S3_BUCKET",
                        format!("required when {variable} is set (S3 storage is all or nothing)"),
                    ));
                }
            }
            return Ok(None);
        };
        let required = |variable: &'static str| {
            source
                .raw(variable)?
                .ok_or_else(|| SettingsError::invalid(variable, "required when S3_BUCKET is set"))
        };
        let access_key_id = required("S3_ACCESS_KEY_ID")?;
        let secret_access_key = SecretString::from(required("S3_SECRET_ACCESS_KEY")?);
        let public_url = http_url("S3_PUBLIC_URL", &required("S3_PUBLIC_URL")?)?;
        let endpoint = match source.raw("S3_ENDPOINT")? {
            Some(value) => Some(
                http_url("S3_ENDPOINT", &value)?
                    .as_str()
                    .trim_end_matches('/')
                    .to_owned(),
            ),
            None => None,
        };
        let mut public_url = public_url.to_string();
        if !public_url.ends_with('/') {
            public_url.push('/');
        }
        Ok(Some(Self {
            bucket: bucket.trim().to_owned(),
            endpoint,
            region: source
                .raw("S3_REGION")?
                .map_or_else(|| "us-east-1".to_owned(), |region| region.trim().to_owned()),
            access_key_id: access_key_id.trim().to_owned(),
            secret_access_key,
            public_url,
        }))
    }
}

fn http_url(variable: &'static str, value: &str) -> Result<Url, SettingsError> {
    let url = Url::parse(value.trim())
        .map_err(|error| SettingsError::invalid(variable, format!("`{value}`: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SettingsError::invalid(variable, "expected an http(s) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        // Object keys are appended to the path: a query would end up before them.
        return Err(SettingsError::invalid(
            variable,
            "expected a URL without a query or fragment",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use crate::settings::Settings;

    const FULL: [(&str, &str); 6] = [
        ("S3_BUCKET", "videos-bucket"),
        ("S3_ENDPOINT", "http://127.0.0.1:9000"),
        ("S3_REGION", "eu-central-1"),
        ("S3_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("S3_SECRET_ACCESS_KEY", "very-secret-key"),
        (
            "S3_PUBLIC_URL",
            "https://cdn.example.com/public/videos-bucket",
        ),
    ];

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        Settings::from_sources(None, env).map_err(|error| error.to_string())
    }

    fn without(variable: &str) -> Vec<(&'static str, &'static str)> {
        FULL.into_iter()
            .filter(|(key, _)| *key != variable)
            .collect()
    }

    #[test]
    fn unset_means_local_storage() {
        assert!(load(&[]).unwrap().s3.is_none());
    }

    #[test]
    fn a_full_configuration_is_read_with_the_public_url_normalized() {
        let s3 = load(&FULL).unwrap().s3.unwrap();
        assert_eq!(s3.bucket, "videos-bucket");
        assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s3.region, "eu-central-1");
        assert_eq!(s3.access_key_id, "AKIDEXAMPLE");
        assert_eq!(s3.secret_access_key.expose_secret(), "very-secret-key");
        assert_eq!(
            s3.public_url,
            "https://cdn.example.com/public/videos-bucket/"
        );
        assert!(!format!("{s3:?}").contains("very-secret-key"));
    }

    #[test]
    fn the_region_defaults_and_the_endpoint_is_optional() {
        let pairs: Vec<_> = without("S3_REGION")
            .into_iter()
            .filter(|(key, _)| *key != "S3_ENDPOINT")
            .collect();
        let s3 = load(&pairs).unwrap().s3.unwrap();
        assert_eq!(s3.region, "us-east-1");
        assert!(s3.endpoint.is_none());
    }

    #[test]
    fn a_partial_configuration_names_what_is_missing() {
        for variable in ["S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_PUBLIC_URL"] {
            let error = load(&without(variable)).unwrap_err();
            assert_eq!(error, format!("{variable}: required when S3_BUCKET is set"));
        }
        let error = load(&without("S3_BUCKET")).unwrap_err();
        assert_eq!(
            error,
            "S3_BUCKET: required when S3_ENDPOINT is set (S3 storage is all or nothing)"
        );
        let error = load(&[("S3_SECRET_ACCESS_KEY", "very-secret-key")]).unwrap_err();
        assert!(error.starts_with("S3_BUCKET: required when S3_SECRET_ACCESS_KEY"));
        assert!(!error.contains("very-secret-key"), "{error}");
    }

    #[test]
    fn urls_must_be_http() {
        let mut pairs = without("S3_PUBLIC_URL");
        pairs.push(("S3_PUBLIC_URL", "ftp://cdn.example.com/"));
        assert_eq!(
            load(&pairs).unwrap_err(),
            "S3_PUBLIC_URL: expected an http(s) URL"
        );
        let mut pairs = without("S3_ENDPOINT");
        pairs.push(("S3_ENDPOINT", "not a url"));
        assert!(
            load(&pairs)
                .unwrap_err()
                .starts_with("S3_ENDPOINT: `not a url`")
        );
        let mut pairs = without("S3_PUBLIC_URL");
        pairs.push(("S3_PUBLIC_URL", "https://cdn.example.com/v?token=1"));
        assert_eq!(
            load(&pairs).unwrap_err(),
            "S3_PUBLIC_URL: expected a URL without a query or fragment"
        );
    }
}
