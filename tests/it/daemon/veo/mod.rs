//! Veo end to end on both backends, against the simulator's Vertex AI and
//! Gemini API: the bot's body and messages, the failure with one refund, the
//! crash resumed without a second operation, tokens refreshed, the key kept to
//! its own origin, private result addresses refused, a saved task finished
//! with Telegram down, the bot's extension requests left alone, and Kling and
//! Veo served by one daemon. This module holds what the suites share.

mod outcomes;
mod recovery;
mod scope;

use std::time::Duration;

use genworker::simulator::{Knobs, SIM_GEMINI_API_KEY, SIM_VERTEX_PROJECT};

use super::Harness;
use crate::support::BotRelease;

/// The catalog's Veo model: the latest release has `veo3-fast`; on the seed's
/// tables it is added as the bot's migrations 0003/0007/0008 leave it.
pub(super) async fn veo_model(h: &Harness) -> &'static str {
    if h.db.release == BotRelease::Seed {
        let json = |text: &str| {
            if h.db.url().starts_with("postgres") {
                format!("'{text}'::jsonb")
            } else {
                format!("'{text}'")
            }
        };
        h.sql(&format!(
            "INSERT INTO botapp_aimodel (slug, name, display_name, type, provider, description, \
             short_description, price, api_endpoint, api_model_name, max_prompt_length, \
             supports_image_input, max_input_images, default_params, allowed_params, max_quantity, \
             cooldown_seconds, daily_limit, is_active, is_beta, min_user_level, \"order\", \
             total_generations, total_errors, average_generation_time, created_at, updated_at) \
             SELECT 'veo3-fast', 'Veo 3.1 Fast', 'Veo 3.1 Fast', 'video', 'veo', '', '', 19, '', \
             'veo-3.1-fast-generate-preview', 1000, true, 1, {}, {}, 1, 0, NULL, true, false, 0, \
             2, 0, 0, 0, created_at, updated_at FROM botapp_aimodel WHERE slug = '{}'",
            json(r#"{"duration": 8, "resolution": "720p", "fps": 24, "aspect_ratio": "9:16"}"#),
            json(r#"{"duration": {"min": 2, "max": 8}, "resolution": ["720p", "480p"], "fps": [24, 30]}"#),
            h.db.kling_slug()
        ));
    }
    "veo3-fast"
}

/// The daemon's Veo settings for `style`, against the simulator.
pub(super) fn veo(h: &Harness, style: &str) -> Vec<(&'static str, String)> {
    let base = h.sim.base_url();
    vec![
        ("VEO_API_STYLE", style.to_owned()),
        (
            "GOOGLE_APPLICATION_CREDENTIALS_JSON",
            h.sim.service_account_json(),
        ),
        ("VERTEX_PROJECT_ID", SIM_VERTEX_PROJECT.to_owned()),
        ("VERTEX_API_BASE_URL", base.clone()),
        ("GOOGLE_STORAGE_BASE_URL", base.clone()),
        ("GEMINI_API_BASE_URL", base),
        ("GEMINI_API_KEY", SIM_GEMINI_API_KEY.to_owned()),
        ("VEO_POLL_INTERVAL", "0.02".to_owned()),
        ("GENWORKER_ALLOW_PRIVATE_URLS", "true".to_owned()),
    ]
}

pub(super) fn knobs(change: impl FnOnce(&mut Knobs)) -> Knobs {
    let mut knobs = Knobs::default();
    change(&mut knobs);
    knobs
}

pub(super) const WITHIN: Duration = Duration::from_secs(20);
