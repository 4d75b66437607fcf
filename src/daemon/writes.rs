//! Group commit for the daemon's hot writes. Jobs hand their task ids and
//! finished videos to one writer per kind, which commits in one transaction
//! whatever gathered while its previous batch was being written: no waiting for
//! a batch to fill, so a lone write goes out at once and a busy daemon pays one
//! commit for hundreds. If a batch fails, its writes are retried one by one, so
//! one bad row cannot fail the others.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::db::DbError;
use crate::queue::{CompletionWrite, Fenced, QueueStore, TaskIdWrite};

/// Writes in one transaction at most.
const MAX_BATCH: usize = 1000;

/// What a waiting job is told.
type Reply = oneshot::Sender<Result<Fenced, DbError>>;

/// The handle jobs write through.
#[derive(Clone)]
pub(super) struct BatchedWrites {
    task_ids: mpsc::UnboundedSender<(TaskIdWrite, Reply)>,
    completions: mpsc::UnboundedSender<(CompletionWrite, Reply)>,
}

/// The writer loops, started by [`Writers::spawn`].
pub(super) struct Writers {
    task_ids: mpsc::UnboundedReceiver<(TaskIdWrite, Reply)>,
    completions: mpsc::UnboundedReceiver<(CompletionWrite, Reply)>,
}

/// A handle and its not yet started writers.
pub(super) fn batched_writes() -> (BatchedWrites, Writers) {
    let (task_ids, task_ids_rx) = mpsc::unbounded_channel();
    let (completions, completions_rx) = mpsc::unbounded_channel();
    (
        BatchedWrites {
            task_ids,
            completions,
        },
        Writers {
            task_ids: task_ids_rx,
            completions: completions_rx,
        },
    )
}

impl BatchedWrites {
    /// Saves a provider task id, fenced on the claim.
    pub(super) async fn save_task_id(&self, write: TaskIdWrite) -> Result<Fenced, DbError> {
        submit(&self.task_ids, write).await
    }

    /// Writes a finished video, fenced on the claim.
    pub(super) async fn complete(&self, write: CompletionWrite) -> Result<Fenced, DbError> {
        submit(&self.completions, write).await
    }
}

impl Writers {
    /// Starts both writer loops; each ends when every handle is gone.
    pub(super) fn spawn(self, store: QueueStore) {
        let for_task_ids = store.clone();
        tokio::spawn(write_loop(self.task_ids, move |batch| {
            let store = for_task_ids.clone();
            async move { store.save_task_ids(batch).await }
        }));
        tokio::spawn(write_loop(self.completions, move |batch| {
            let store = store.clone();
            async move { store.complete_all(batch).await }
        }));
    }
}

async fn submit<W>(
    sender: &mpsc::UnboundedSender<(W, Reply)>,
    write: W,
) -> Result<Fenced, DbError> {
    let (reply, answer) = oneshot::channel();
    sender
        .send((write, reply))
        .map_err(|_| DbError::WriterStopped)?;
    answer.await.map_err(|_| DbError::WriterStopped)?
}

async fn write_loop<W, F, Fut>(mut queue: mpsc::UnboundedReceiver<(W, Reply)>, write: F)
where
    W: Clone,
    F: Fn(Arc<[W]>) -> Fut,
    Fut: Future<Output = Result<Vec<Fenced>, DbError>>,
{
    let mut pending = Vec::new();
    while queue.recv_many(&mut pending, MAX_BATCH).await > 0 {
        let (writes, replies): (Vec<W>, Vec<Reply>) = pending.drain(..).unzip();
        let writes: Arc<[W]> = writes.into();
        match write(writes.clone()).await {
            Ok(verdicts) => {
                for (reply, verdict) in replies.into_iter().zip(verdicts) {
                    let _ = reply.send(Ok(verdict));
                }
            }
            Err(error) if replies.len() == 1 => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(error));
                }
            }
            Err(error) => {
                tracing::warn!(%error, writes = replies.len(), "batched write failed; writing one by one");
                for (one, reply) in writes.iter().zip(replies) {
                    let verdict = write(Arc::from([one.clone()]))
                        .await
                        .map(|verdicts| verdicts.first().copied().unwrap_or(Fenced::NotProcessing));
                    let _ = reply.send(verdict);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;

    /// A write loop over numbers: a batch holding a negative number fails as a whole;
    /// alone, a negative number fails and any other applies.
    fn spawn_numbers(batches: Arc<Mutex<Vec<Vec<i32>>>>) -> mpsc::UnboundedSender<(i32, Reply)> {
        let (sender, queue) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(queue, move |batch: Arc<[i32]>| {
            let batches = batches.clone();
            async move {
                batches.lock().unwrap().push(batch.to_vec());
                tokio::time::sleep(Duration::from_millis(20)).await;
                if batch.iter().any(|n| *n < 0) {
                    return Err(DbError::WriterStopped);
                }
                Ok(vec![Fenced::Applied; batch.len()])
            }
        }));
        sender
    }

    /// Submits `n` and returns once its 20 ms commit has begun (the write still pending).
    async fn committing(
        sender: &mpsc::UnboundedSender<(i32, Reply)>,
        n: i32,
    ) -> oneshot::Receiver<Result<Fenced, DbError>> {
        let (reply, answer) = oneshot::channel();
        sender.send((n, reply)).unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        answer
    }

    #[tokio::test]
    async fn writes_arriving_during_a_commit_share_the_next_one() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let sender = spawn_numbers(batches.clone());
        // The first write goes out alone; the rest gather while it commits.
        let first = committing(&sender, 0).await;
        let rest = futures_util::future::join_all((1..=50).map(|n| submit(&sender, n)));
        let (first, rest) = tokio::join!(first, rest);
        assert_eq!(first.unwrap().unwrap(), Fenced::Applied);
        assert!(rest.into_iter().all(|r| r.unwrap() == Fenced::Applied));
        let sizes: Vec<usize> = batches.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, [1, 50]);
    }

    #[tokio::test]
    async fn a_failed_batch_is_written_one_by_one() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let sender = spawn_numbers(batches.clone());
        let blocker = committing(&sender, 0).await;
        let (good, bad, also_good) =
            tokio::join!(submit(&sender, 1), submit(&sender, -1), submit(&sender, 2));
        assert_eq!(blocker.await.unwrap().unwrap(), Fenced::Applied);
        assert_eq!(good.unwrap(), Fenced::Applied);
        assert!(matches!(bad, Err(DbError::WriterStopped)));
        assert_eq!(also_good.unwrap(), Fenced::Applied);
        let seen = batches.lock().unwrap().clone();
        assert_eq!(seen, [vec![0], vec![1, -1, 2], vec![1], vec![-1], vec![2]]);
    }
}
