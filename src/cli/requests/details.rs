//! One request in full: every column, its lease and its refund, as JSON or as
//! aligned `key  value` lines.

use serde_json::{Value, json};

use super::time;
use crate::catalog::money_text;
use crate::cli::CliError;
use crate::cli::output::outln;
use crate::queue::admin::{LeaseInfo, RefundInfo, RequestDetails};

/// Every column of the request by its column name, then the lease and the refund.
/// Every column (`later`: a later release's columns as their text), the lease and the refund.
pub(super) fn details_json(details: &RequestDetails, later: &[(String, Option<String>)]) -> Value {
    let r = &details.request;
    let mut fields = json!({
        "id": r.id,
        "run_code": r.run_code,
        "chat_id": r.chat_id,
        "prompt": r.prompt,
        "quantity": r.quantity,
        "model": r.model,
        "status": r.status,
        "result_urls": r.result_urls.0,
        "created_at": time(r.created_at),
        "completed_at": r.completed_at.map(time),
        "cost": money_text(&r.cost),
        "duration": r.duration,
        "error_message": r.error_message,
        "file_sizes": r.file_sizes.0,
        "generation_params": r.generation_params.0,
        "generation_type": r.generation_type,
        "input_images": r.input_images.0,
        "processing_time": r.processing_time,
        "started_at": r.started_at.map(time),
        "user_id": r.user_id,
        "video_resolution": r.video_resolution,
        "ai_model_id": r.ai_model_id,
        "transaction_id": r.transaction_id,
        "aspect_ratio": r.aspect_ratio,
        "provider_job_id": r.provider_job_id,
        "provider_metadata": r.provider_metadata.0,
        "source_media": r.source_media.0,
        "parent_request_id": r.parent_request_id,
    });
    if let Value::Object(object) = &mut fields {
        for (name, value) in later {
            object.insert(
                name.clone(),
                value.clone().map_or(Value::Null, Value::String),
            );
        }
        let paused =
            r.status == crate::queue::status::QUEUED && details.model_active == Some(false);
        object.insert("paused".into(), Value::Bool(paused));
        object.insert(
            "lease".into(),
            details.lease.as_ref().map_or(Value::Null, lease_json),
        );
        object.insert(
            "refund".into(),
            details.refund.as_ref().map_or(Value::Null, refund_json),
        );
    }
    fields
}

fn lease_json(lease: &LeaseInfo) -> Value {
    json!({
        "worker_id": lease.worker_id,
        "attempt": lease.attempt,
        "failures": lease.failures,
        "lease_expires_at": time(lease.lease_expires_at),
        "last_error": lease.last_error,
        "delivered": lease.delivered,
    })
}

fn refund_json(refund: &RefundInfo) -> Value {
    json!({
        "transaction_id": refund.transaction_id,
        "created_at": time(refund.created_at),
    })
}

/// `key  value` lines; the lease's fields as `lease.<field>`.
pub(super) fn print_details(
    details: &RequestDetails,
    later: &[(String, Option<String>)],
) -> Result<(), CliError> {
    let Value::Object(mut fields) = details_json(details, later) else {
        return Ok(());
    };
    let mut lines: Vec<(String, String)> = Vec::new();
    let lease = fields.remove("lease");
    fields.remove("refund");
    for (key, value) in fields {
        lines.push((key, plain(&value)));
    }
    match lease {
        Some(Value::Object(lease)) => {
            for (key, value) in lease {
                lines.push((format!("lease.{key}"), plain(&value)));
            }
        }
        _ => lines.push(("lease".into(), "none (never claimed)".into())),
    }
    let refunded = match &details.refund {
        Some(found) => format!(
            "yes: transaction {} at {}",
            found.transaction_id,
            time(found.created_at)
        ),
        None => "no".into(),
    };
    lines.push(("refunded".into(), refunded));
    let width = lines.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
    for (key, value) in lines {
        outln!("{key:<width$}  {value}")?;
    }
    Ok(())
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}
