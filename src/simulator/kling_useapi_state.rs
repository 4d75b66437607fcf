//! Kling through useapi.net, its state in the simulator: the answer-shape
//! knobs, the numeric task ids, the emails seen and the uploaded assets.

use axum::body::Bytes;
use serde::{Deserialize, Serialize};

/// The first useapi task id is one more than this (777001, 777002, …).
const FIRST_TASK_ID: u64 = 777_000;
/// A finished task's single work id is this plus the task id.
pub(crate) const WORK_ID_OFFSET: u64 = 555_000;

/// Where a useapi create answer puts the task id (the `useapi_task_id_in` knob).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum UseapiIdShape {
    /// `{"task":{"id":N,"status":5}}`, an integer.
    #[default]
    Task,
    /// `{"taskId":"N"}`, a string at the top.
    Top,
    /// `{"data":{"id":N}}`, an integer.
    Data,
}

/// How a useapi task poll spells its status (the `useapi_status_style` knob).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum UseapiStatusStyle {
    /// Numbers with a `status_name`: 5 `processing`, 99 `succeed`, 50 `failed`.
    #[default]
    Numeric,
    /// Strings, no `status_name`: `PROCESSING`, `SUCCEED`, `FAILED`.
    Text,
}

/// An uploaded asset, served back at `/_sim/useapi-assets/{name}`.
#[derive(Debug, Clone)]
pub(crate) struct UseapiAsset {
    pub name: String,
    pub content_type: String,
    pub bytes: Bytes,
}

/// Everything useapi-specific (its tasks live with the other Kling tasks).
#[derive(Debug, Default)]
pub(crate) struct UseapiStore {
    /// Tasks created so far; the next id is `FIRST_TASK_ID + created + 1`.
    created: u64,
    /// Every `email` a call carried (body field or `?email=`), in order.
    pub emails: Vec<String>,
    /// Uploaded assets, in order.
    pub assets: Vec<UseapiAsset>,
}

impl UseapiStore {
    /// A fresh task id.
    pub fn next_task_id(&mut self) -> u64 {
        self.created += 1;
        FIRST_TASK_ID + self.created
    }

    /// Records the email a call carried, if any.
    pub fn record_email(&mut self, email: Option<&str>) {
        if let Some(email) = email {
            self.emails.push(email.to_owned());
        }
    }

    /// Stores an upload and returns its file name (`asset-<n>.<ext>`).
    pub fn add_asset(&mut self, content_type: &str, bytes: Bytes) -> String {
        let name = format!(
            "asset-{}.{}",
            self.assets.len() + 1,
            extension(content_type)
        );
        self.assets.push(UseapiAsset {
            name: name.clone(),
            content_type: content_type.to_owned(),
            bytes,
        });
        name
    }
}

/// A file extension for a media type: `png`, `jpg`, `mp4`, else its subtype's
/// letters and digits.
fn extension(content_type: &str) -> String {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let subtype = essence.split('/').nth(1).unwrap_or("");
    match subtype.to_ascii_lowercase().as_str() {
        "jpeg" | "pjpeg" => "jpg".to_owned(),
        "quicktime" => "mov".to_owned(),
        "" => "bin".to_owned(),
        other => {
            let clean: String = other.chars().filter(char::is_ascii_alphanumeric).collect();
            if clean.is_empty() {
                "bin".to_owned()
            } else {
                clean
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_count_up_and_assets_get_extensions() {
        let mut store = UseapiStore::default();
        assert_eq!(store.next_task_id(), 777_001);
        assert_eq!(store.next_task_id(), 777_002);
        assert_eq!(store.add_asset("image/png", Bytes::new()), "asset-1.png");
        assert_eq!(store.add_asset("image/jpeg", Bytes::new()), "asset-2.jpg");
        assert_eq!(
            store.add_asset("video/mp4; codecs=x", Bytes::new()),
            "asset-3.mp4"
        );
        assert_eq!(store.add_asset("image/", Bytes::new()), "asset-4.bin");
    }
}
