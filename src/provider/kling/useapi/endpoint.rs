//! Which useapi.net create endpoint a job goes to and the model name it
//! sends, by the bot's rules (useapi_kling.md §5).

use crate::provider::{GenerationJob, GenerationKind};

/// Which create endpoint a job goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v1/kling/videos/text2video`.
    TextToVideo,
    /// `/v1/kling/videos/image2video-frames`.
    ImageFrames,
    /// `/v1/kling/videos/omni` (Kling O1, any generation type).
    Omni,
}

impl Endpoint {
    /// The endpoint for this job: omni when the model is an O1, else by type.
    pub fn of(job: &GenerationJob) -> Self {
        if normalize_model(&job.model_name).contains("o1") {
            Self::Omni
        } else {
            match job.kind {
                GenerationKind::ImageToVideo => Self::ImageFrames,
                GenerationKind::TextToVideo => Self::TextToVideo,
            }
        }
    }

    /// Its path under the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Self::TextToVideo => "/v1/kling/videos/text2video",
            Self::ImageFrames => "/v1/kling/videos/image2video-frames",
            Self::Omni => "/v1/kling/videos/omni",
        }
    }
}

/// The bot's `_normalize_model_name`.
pub fn normalize_model(name: &str) -> String {
    let value = name.trim().to_lowercase().replace('_', "-");
    if value.contains("v2-6") {
        "kling-v2-6".into()
    } else if value.contains("v2-5") {
        "kling-v2-5".into()
    } else if value.contains("v2-1") && value.contains("master") {
        "kling-v2-1-master".into()
    } else if value.contains("v2-1") {
        "kling-v2-1".into()
    } else if value.contains("v1-6") {
        "kling-v1-6".into()
    } else if value.contains("v1-5") {
        "kling-v1-5".into()
    } else if value.starts_with("kling") {
        value
    } else {
        format!("kling-{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::kling::useapi::test_job as job;
    use serde_json::json;

    #[test]
    fn model_names_and_endpoints_as_the_bot_maps_them() {
        for (given, normalized) in [
            ("kling-v2-5-turbo", "kling-v2-5"),
            ("kling-v2-6-pro-with-sound", "kling-v2-6"),
            ("kling-v2-1-master", "kling-v2-1-master"),
            ("kling-v2-1-pro", "kling-v2-1"),
            ("kling_O1", "kling-o1"),
            ("v1-6", "kling-v1-6"),
            ("custom", "kling-custom"),
        ] {
            assert_eq!(normalize_model(given), normalized, "{given}");
        }
        let omni = job("kling-o1", GenerationKind::TextToVideo, json!({}));
        assert_eq!(Endpoint::of(&omni), Endpoint::Omni);
        let frames = job("kling-v2-1", GenerationKind::ImageToVideo, json!({}));
        assert_eq!(
            Endpoint::of(&frames).path(),
            "/v1/kling/videos/image2video-frames"
        );
    }
}
