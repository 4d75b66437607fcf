//! Settings that span several variables, as `run` reads them.

use std::collections::HashMap;

use genworker::settings::Settings;

fn complete(pairs: &[(&str, &str)]) -> Result<Settings, String> {
    let env: HashMap<String, String> = pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    Settings::from_sources(None, env).map_err(|error| error.to_string())
}

#[test]
fn callbacks_need_an_http_url_a_long_secret_and_the_endpoint() {
    let url = ("GENWORKER_CALLBACK_URL", "https://genworker.example.com");
    let secret = ("GENWORKER_CALLBACK_SECRET", "sixteen-chars-ok");
    let addr = ("GENWORKER_HTTP_ADDR", "127.0.0.1:8080");
    assert!(
        complete(&[url, secret, addr])
            .unwrap()
            .daemon
            .callbacks
            .is_some()
    );
    assert!(complete(&[]).unwrap().daemon.callbacks.is_none());
    for (pairs, named) in [
        (vec![url, addr], "GENWORKER_CALLBACK_SECRET: "),
        (
            vec![url, ("GENWORKER_CALLBACK_SECRET", "too-short"), addr],
            "GENWORKER_CALLBACK_SECRET: ",
        ),
        (vec![url, secret], "GENWORKER_HTTP_ADDR: "),
        (
            vec![
                ("GENWORKER_CALLBACK_URL", "genworker.example.com"),
                secret,
                addr,
            ],
            "GENWORKER_CALLBACK_URL: ",
        ),
    ] {
        let error = complete(&pairs).unwrap_err();
        assert!(error.starts_with(named), "{error}");
        assert!(
            !error.contains("sixteen-chars-ok"),
            "never the secret: {error}"
        );
    }
}
