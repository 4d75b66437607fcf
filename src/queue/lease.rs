//! Lease bookkeeping: ownership, heartbeat, release, delivery, abandonment.

use std::time::Duration;

use diesel::prelude::*;

use super::status;
use crate::db::AnyConnection;
use crate::db::types::UtcTime;
use crate::schema::{botapp_genrequest as req, genworker_lease as lease};

/// Extends the leases `worker` holds of these requests to `until`; returns
/// (request, attempt) of each.
pub fn heartbeat(
    conn: &mut AnyConnection,
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
    .get_results(conn)
}

/// Requests `worker` holds that someone else stopped: cancelled by the bot, or
/// set back to `queued` (the Django admin, SQL); each with the attempt held
/// and its status.
pub fn stopped_elsewhere(
    conn: &mut AnyConnection,
    worker: &str,
) -> QueryResult<Vec<(i64, i32, String)>> {
    lease::table
        .inner_join(req::table)
        .filter(lease::worker_id.eq(worker))
        .filter(req::status.eq_any([status::CANCELLED, status::QUEUED]))
        .select((lease::request_id, lease::attempt, req::status))
        .load(conn)
}

/// Gives the request up until `after` from now; a failure adds to its count.
pub fn release(
    conn: &mut AnyConnection,
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
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                lease::worker_id.eq(None::<String>),
                lease::lease_expires_at.eq(now.plus(after)),
                lease::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

/// Marks the outcome delivered (or not to be delivered) and lets the lease go.
pub fn settle(conn: &mut AnyConnection, id: i64, worker: &str, attempt: i32) -> QueryResult<bool> {
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
    .execute(conn)
    .map(|changed| changed == 1)
}
