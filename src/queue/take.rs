//! Claiming, in two steps inside one queue transaction: take the ids (the
//! claimable rows, set processing and leased to this worker), then load the
//! jobs (each request with its lease, model, charge and user's language).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bigdecimal::BigDecimal;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable, Text};

use super::balance::money;
use super::claim::claimable;
use super::refund::refundable;
use super::{Charge, Claimed, Earlier, FailedTask, GenRequest, Job, Lease, QueueStore, status};
use crate::catalog::AiModel;
use crate::db::AnyConnection;
use crate::db::types::{DateTimeField, UtcTime};
use crate::i18n::Language;
use crate::message::ChargeFacts;
use crate::schema::{
    botapp_aimodel as model, botapp_genrequest as req, botapp_tguser as tguser,
    botapp_transaction as tx, genworker_lease as lease,
};

/// Who takes the leases, when, and for how long.
pub(super) struct Leasing<'a> {
    /// The worker id written into the leases.
    pub worker: &'a str,
    /// The claim's time: the start of queued rows, the base of the expiry.
    pub now: UtcTime,
    /// How long the leases run.
    pub lease_for: Duration,
}

/// Up to `limit` claimable requests of `providers`, leased as `leasing` says:
/// their ids.
pub(super) fn take_ids(
    conn: &mut AnyConnection,
    providers: &[&str],
    limit: i64,
    leasing: &Leasing<'_>,
) -> QueryResult<Vec<i64>> {
    let (now, worker) = (leasing.now, leasing.worker);
    let ids = claimable(conn, providers, now, limit)?;
    if ids.is_empty() {
        return Ok(ids);
    }
    // A queued row starts now: one row version for status and start.
    let queued: Vec<i64> = diesel::update(
        req::table
            .filter(req::id.eq_any(&ids))
            .filter(req::status.eq(status::QUEUED)),
    )
    .set((
        req::status.eq(status::PROCESSING),
        req::started_at.eq(Some(now)),
    ))
    .returning(req::id)
    .get_results(conn)?;
    // A reclaimed row keeps its first start; one someone else set
    // processing without a start gets one.
    diesel::update(
        req::table
            .filter(req::id.eq_any(&ids))
            .filter(req::started_at.is_null()),
    )
    .set(req::started_at.eq(Some(now)))
    .execute(conn)?;
    // A request set back to `queued` after its run ended (its outcome
    // delivered) starts afresh: its attempt number goes on (fencing,
    // below), its failures and its earlier outcome do not. One paused
    // or bumped while it ran keeps its failures. Only leases of earlier
    // claims exist yet: new rows are not written twice.
    diesel::update(
        lease::table
            .filter(lease::request_id.eq_any(&queued))
            .filter(lease::delivered),
    )
    .set((
        lease::failures.eq(0),
        lease::last_error.eq(""),
        lease::error_message_en.eq(""),
        lease::delivered.eq(false),
    ))
    .execute(conn)?;
    let expires = now.plus(leasing.lease_for);
    // A request claimed before keeps its lease row: it passes to this worker
    // under the next attempt number (the fencing token).
    let renewed: BTreeSet<i64> =
        diesel::update(lease::table.filter(lease::request_id.eq_any(&ids)))
            .set((
                lease::worker_id.eq(Some(worker)),
                lease::attempt.eq(lease::attempt + 1),
                lease::lease_expires_at.eq(expires),
                lease::updated_at.eq(now),
            ))
            .returning(lease::request_id)
            .get_results::<i64>(conn)?
            .into_iter()
            .collect();
    // The others get their first, in one statement whatever their number. No
    // one can insert these leases meanwhile: only the claim inserts leases, and
    // only under the requests' row locks (PostgreSQL) or the write lock (SQLite),
    // so the UPDATE above saw every lease of these requests.
    let fresh: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !renewed.contains(id))
        .collect();
    if !fresh.is_empty() {
        let first_lease = req::table.filter(req::id.eq_any(&fresh)).select((
            req::id,
            worker.into_sql::<Nullable<Text>>(),
            expires.into_sql::<DateTimeField>(),
            now.into_sql::<DateTimeField>(),
            1.into_sql::<Integer>(),
            0.into_sql::<Integer>(),
            false.into_sql::<Bool>(),
            "".into_sql::<Text>(),
        ));
        diesel::insert_into(lease::table)
            .values(first_lease)
            .into_columns((
                lease::request_id,
                lease::worker_id,
                lease::lease_expires_at,
                lease::updated_at,
                lease::attempt,
                lease::failures,
                lease::delivered,
                lease::last_error,
            ))
            .execute(conn)?;
    }
    Ok(ids)
}

/// The jobs of requests `store` just took: what each one's run needs.
pub(super) fn load_jobs(
    conn: &mut AnyConnection,
    ids: &[i64],
    store: &QueueStore,
) -> QueryResult<Vec<Job>> {
    let claims = lease::table
        .filter(lease::request_id.eq_any(ids))
        .select((
            (lease::request_id, lease::attempt, lease::failures),
            lease::error_message_en,
            (lease::failed_task_id, lease::task_round),
        ))
        .load::<((i64, i32, i32), String, (String, i32))>(conn)?;
    let mut requests: HashMap<i64, GenRequest> = req::table
        .filter(req::id.eq_any(ids))
        .select(GenRequest::as_select())
        .load::<GenRequest>(conn)?
        .into_iter()
        .map(|request| (request.id, request))
        .collect();
    let model_ids: BTreeSet<i64> = requests.values().filter_map(|r| r.ai_model_id).collect();
    let models: HashMap<i64, Arc<AiModel>> = model::table
        .filter(model::id.eq_any(&model_ids))
        .select(AiModel::as_select())
        .load::<AiModel>(conn)?
        .into_iter()
        .map(|found| (found.id, Arc::new(found)))
        .collect();
    let charge_ids: BTreeSet<i64> = requests.values().filter_map(|r| r.transaction_id).collect();
    let charges: HashMap<i64, (i64, BigDecimal, BigDecimal)> = tx::table
        .filter(tx::id.eq_any(&charge_ids))
        .select((tx::id, tx::user_id, tx::amount, tx::balance_after))
        .load::<(i64, i64, BigDecimal, BigDecimal)>(conn)?
        .into_iter()
        .map(|(id, user, amount, after)| (id, (user, amount, after)))
        .collect();
    // Read as nullable: Django's column is NOT NULL, but a NULL written
    // by hand must not stop the claim.
    let user_ids: BTreeSet<i64> = requests.values().filter_map(|r| r.user_id).collect();
    let languages: HashMap<i64, Option<String>> = tguser::table
        .filter(tguser::id.eq_any(&user_ids))
        .select((tguser::id, tguser::language_code.nullable()))
        .load::<(i64, Option<String>)>(conn)?
        .into_iter()
        .collect();
    Ok(claims
        .into_iter()
        .filter_map(
            |((request_id, attempt, failures), error_message_en, tasks)| {
                let request = requests.remove(&request_id)?;
                let model = request.ai_model_id.and_then(|id| models.get(&id).cloned());
                let language = Language::from_code(
                    request
                        .user_id
                        .and_then(|id| languages.get(&id))
                        .and_then(Option::as_deref),
                );
                let found = request.transaction_id.and_then(|id| charges.get(&id));
                let unrefundable = request.transaction_id.and_then(|charge| {
                    refundable(
                        charge,
                        found.map(|(user, amount, _)| (*user, amount.clone())),
                    )
                    .err()
                });
                let facts = found.map(|(_, amount, after)| ChargeFacts {
                    amount: money(amount),
                    balance_after: money(after),
                });
                let claimed = Claimed {
                    request_id,
                    attempt,
                    failures,
                };
                Some(Job {
                    lease: Lease::new(store.clone(), claimed),
                    request,
                    model,
                    language,
                    charge: Charge {
                        unrefundable,
                        facts,
                    },
                    earlier: Earlier {
                        error_message_en,
                        failed_task: FailedTask {
                            task_id: tasks.0,
                            round: tasks.1,
                        },
                    },
                })
            },
        )
        .collect())
}
