//! The simulated endpoints, the keys of call counters and fault injection.

use serde::{Deserialize, Serialize};

/// A simulated endpoint, for counters and fault injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Endpoint {
    /// Kling task creation (both styles).
    KlingCreate,
    /// Kling task status (both styles).
    KlingStatus,
    /// Kling official list endpoint filtered by `external_task_id`.
    KlingLookup,
    /// The generated video download `/files/<id>.mp4`.
    VideoFile,
    /// Telegram `getFile`.
    TelegramGetFile,
    /// Telegram file download `/file/bot<token>/<path>`.
    TelegramFile,
    /// Telegram `sendVideo`.
    TelegramSendVideo,
    /// Telegram `sendDocument`.
    TelegramSendDocument,
    /// Telegram `sendMessage`.
    TelegramSendMessage,
    /// Google's OAuth2 token endpoint `POST /token`.
    GoogleToken,
    /// Veo `…:predictLongRunning` (Vertex and Gemini styles).
    VeoSubmit,
    /// Veo operation poll: Vertex `…:fetchPredictOperation`, Gemini `GET …/operations/{id}`.
    VeoPoll,
    /// Veo video download: Cloud Storage `/download/storage/v1/…`, Gemini `…/files/{id}:download`.
    VeoDownload,
    /// The blob a Gemini file download redirects to, `/_sim/blob/{id}`.
    VeoBlob,
    /// useapi.net Kling account set-up `POST /v1/kling/accounts`.
    UseapiAccount,
    /// useapi.net Kling create `POST /v1/kling/videos/{kind}`.
    UseapiCreate,
    /// useapi.net Kling task poll, both `/v1/kling/tasks/{id}` and `/v1/tasks/{id}`.
    UseapiTask,
    /// The fallback poll path `/v1/tasks/{id}` alone (also counted as `UseapiTask`).
    UseapiTaskFallback,
    /// useapi.net Kling asset upload `POST /v1/kling/assets/`.
    UseapiAsset,
    /// useapi.net Kling `GET /v1/kling/assets/download`.
    UseapiDownload,
}

impl Endpoint {
    /// Every endpoint, in a stable order.
    pub const ALL: [Endpoint; 20] = [
        Endpoint::KlingCreate,
        Endpoint::KlingStatus,
        Endpoint::KlingLookup,
        Endpoint::VideoFile,
        Endpoint::TelegramGetFile,
        Endpoint::TelegramFile,
        Endpoint::TelegramSendVideo,
        Endpoint::TelegramSendDocument,
        Endpoint::TelegramSendMessage,
        Endpoint::GoogleToken,
        Endpoint::VeoSubmit,
        Endpoint::VeoPoll,
        Endpoint::VeoDownload,
        Endpoint::VeoBlob,
        Endpoint::UseapiAccount,
        Endpoint::UseapiCreate,
        Endpoint::UseapiTask,
        Endpoint::UseapiTaskFallback,
        Endpoint::UseapiAsset,
        Endpoint::UseapiDownload,
    ];

    /// The endpoint's name as used in JSON (`"KlingCreate"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::KlingCreate => "KlingCreate",
            Endpoint::KlingStatus => "KlingStatus",
            Endpoint::KlingLookup => "KlingLookup",
            Endpoint::VideoFile => "VideoFile",
            Endpoint::TelegramGetFile => "TelegramGetFile",
            Endpoint::TelegramFile => "TelegramFile",
            Endpoint::TelegramSendVideo => "TelegramSendVideo",
            Endpoint::TelegramSendDocument => "TelegramSendDocument",
            Endpoint::TelegramSendMessage => "TelegramSendMessage",
            Endpoint::GoogleToken => "GoogleToken",
            Endpoint::VeoSubmit => "VeoSubmit",
            Endpoint::VeoPoll => "VeoPoll",
            Endpoint::VeoDownload => "VeoDownload",
            Endpoint::VeoBlob => "VeoBlob",
            Endpoint::UseapiAccount => "UseapiAccount",
            Endpoint::UseapiCreate => "UseapiCreate",
            Endpoint::UseapiTask => "UseapiTask",
            Endpoint::UseapiTaskFallback => "UseapiTaskFallback",
            Endpoint::UseapiAsset => "UseapiAsset",
            Endpoint::UseapiDownload => "UseapiDownload",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_its_serde_name_once() {
        let names: std::collections::HashSet<&str> =
            Endpoint::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(names.len(), Endpoint::ALL.len());
        for endpoint in Endpoint::ALL {
            let json = serde_json::to_value(endpoint).expect("serialises");
            assert_eq!(json, serde_json::json!(endpoint.name()));
        }
    }
}
