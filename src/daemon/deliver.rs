//! The one delivery step: tell the user, then settle the lease, for an outcome
//! just written and for one an earlier claim wrote but did not get to tell (it
//! died first). A failed notification is logged and changes nothing; the settled
//! lease marks the outcome delivered, so a worker that reclaims a finished
//! request sends nothing twice.

use tracing::{info, warn};

use super::end::JobEnd;
use super::job::JobContext;
use super::notify::{Tell, result_url, video_facts};
use crate::i18n::Language;
use crate::queue::{Job, status};

impl JobContext {
    /// Tells the request's user `what`, if anything (when Telegram is set up
    /// and the request has a chat), then settles its lease.
    pub(super) async fn deliver(&self, job: &Job, what: Option<Tell<'_>>) {
        let request = &job.request;
        if let (Some(notifier), Some(what)) = (self.notifier_for(request), what) {
            match notifier.tell(request.chat_id, job.language, what).await {
                Ok(()) => info!(request.id = request.id, "user notified"),
                Err(error) => {
                    warn!(request.id = request.id, %error, "notification failed; the outcome stands");
                }
            }
        }
        if let Err(error) = job.lease.settle().await {
            warn!(request.id = request.id, %error, "cannot record the delivery");
        }
    }

    /// Delivers the stored outcome of a request an earlier claim finished, then
    /// drops S3's local working copy like a fresh success does. An English user
    /// reads the English wording the failure stored beside its lease; without
    /// one (a failure written by an operator's command), the request's Russian
    /// `error_message`. A video without its model cannot be captioned: only settled.
    pub(super) async fn redeliver(&self, job: &Job) -> JobEnd {
        let request = &job.request;
        let local = self
            .notifier
            .as_ref()
            .and_then(|notifier| notifier.local_copy(request));
        if request.status == status::ERROR {
            let text = match job.language {
                Language::English if !job.earlier.error_message_en.is_empty() => {
                    &job.earlier.error_message_en
                }
                _ => &request.error_message,
            };
            self.deliver(job, Some(Tell::Failure(text))).await;
            return JobEnd::Dropped;
        }
        let shown = (
            request.duration,
            request.video_resolution.as_str(),
            request.aspect_ratio.as_str(),
        );
        let what = job.model.as_deref().map(|model| Tell::Video {
            facts: video_facts(request, model, job.charge.facts.as_ref(), shown),
            file: local.clone(),
            url: result_url(request).unwrap_or_default(),
        });
        self.deliver(job, what).await;
        if let Some(file) = local {
            self.discard_working_copy(&file).await;
        }
        JobEnd::Dropped
    }
}
