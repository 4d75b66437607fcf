//! Lease bookkeeping: ownership, heartbeat, release, delivery, abandonment.
//! Written once and compiled for each backend's connection.

use std::time::Duration;

use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

use super::status;
use crate::db::types::UtcTime;
use crate::schema::{botapp_genrequest as req, genworker_lease as lease};

/// Lease operations on a connection.
pub trait LeaseOps {
    /// Extends the leases `worker` holds of these requests to `until`; returns
    /// (request, attempt) of each.
    fn heartbeat(
        &mut self,
        worker: &str,
        ids: &[i64],
        until: UtcTime,
    ) -> QueryResult<Vec<(i64, i32)>>;

    /// Requests `worker` holds that someone else stopped: cancelled by the bot, or
    /// set back to `queued` (the Django admin, SQL); each with the attempt held
    /// and its status.
    fn stopped_elsewhere(&mut self, worker: &str) -> QueryResult<Vec<(i64, i32, String)>>;

    /// Gives the request up until `after` from now; a failure adds to its count.
    fn release(
        &mut self,
        id: i64,
        worker: &str,
        attempt: i32,
        after: Duration,
        failed: Option<&str>,
    ) -> QueryResult<bool>;

    /// Marks the outcome delivered (or not to be delivered) and lets the lease go.
    fn settle(&mut self, id: i64, worker: &str, attempt: i32) -> QueryResult<bool>;
}

macro_rules! lease_ops {
    ($conn:ty) => {
        impl LeaseOps for $conn {
            fn heartbeat(
                &mut self,
                worker: &str,
                ids: &[i64],
                until: UtcTime,
            ) -> QueryResult<Vec<(i64, i32)>> {
                diesel::update(
                    lease::table
                        .filter(lease::worker_id.eq(worker))
                        .filter(lease::request_id.eq_any(ids)),
                )
                .set(lease::lease_expires_at.eq(until))
                .returning((lease::request_id, lease::attempt))
                .get_results(self)
            }

            fn stopped_elsewhere(&mut self, worker: &str) -> QueryResult<Vec<(i64, i32, String)>> {
                lease::table
                    .inner_join(req::table)
                    .filter(lease::worker_id.eq(worker))
                    .filter(req::status.eq_any([status::CANCELLED, status::QUEUED]))
                    .select((lease::request_id, lease::attempt, req::status))
                    .load(self)
            }

            fn release(
                &mut self,
                id: i64,
                worker: &str,
                attempt: i32,
                after: Duration,
                failed: Option<&str>,
            ) -> QueryResult<bool> {
                let now = UtcTime::now();
                let target = lease::table
                    .filter(lease::request_id.eq(id))
                    .filter(lease::worker_id.eq(worker))
                    .filter(lease::attempt.eq(attempt));
                let changed = match failed {
                    Some(message) => diesel::update(target)
                        .set((
                            lease::worker_id.eq(None::<String>),
                            lease::lease_expires_at.eq(now.plus(after)),
                            lease::failures.eq(lease::failures + 1),
                            lease::last_error.eq(message),
                            lease::updated_at.eq(now),
                        ))
                        .execute(self)?,
                    None => diesel::update(target)
                        .set((
                            lease::worker_id.eq(None::<String>),
                            lease::lease_expires_at.eq(now.plus(after)),
                            lease::updated_at.eq(now),
                        ))
                        .execute(self)?,
                };
                Ok(changed == 1)
            }

            fn settle(&mut self, id: i64, worker: &str, attempt: i32) -> QueryResult<bool> {
                diesel::update(
                    lease::table
                        .filter(lease::request_id.eq(id))
                        .filter(lease::worker_id.eq(worker))
                        .filter(lease::attempt.eq(attempt)),
                )
                .set((
                    lease::worker_id.eq(None::<String>),
                    lease::delivered.eq(true),
                    lease::updated_at.eq(UtcTime::now()),
                ))
                .execute(self)
                .map(|changed| changed == 1)
            }
        }
    };
}

lease_ops!(PgConnection);
lease_ops!(SqliteConnection);
