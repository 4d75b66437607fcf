//! `genworker requests requeue|cancel`: each refusal leaving the request as it
//! was, the task id kept on requeue, and a cancel's refund given once ever.

use serde_json::Value;

use super::setup::{
    Lease, balance_row, count, put_lease, put_refund, set_request, transaction_row,
};
use super::{enqueue, enqueue_id, show};
use crate::support::{TestDb, failure, on_every_schema, success};

on_every_schema!(
    requeue_is_refused_unless_failed_and_unleased,
    requeue_resets_a_failed_request_and_keeps_its_task,
    cancel_ends_queued_and_processing_requests_only,
    cancelling_a_paid_request_refunds_it_once,
);

async fn requeue_is_refused_unless_failed_and_unleased(db: TestDb) {
    let pool = db.migrated().await;
    let id = enqueue_id(&db, &["--prompt", "x"]);
    set_request(&pool, id, "queued", "task-1").await;
    let before = show(&db, id);
    let stderr = failure(&db.cli(&["requests", "requeue", &id.to_string()]));
    assert!(
        stderr.contains(&format!("request {id} is already `queued`: nothing to do"))
            && stderr.contains("claims it on its next poll")
            && stderr.contains("genworker models list"),
        "{stderr}"
    );
    assert_eq!(show(&db, id), before, "queued: something was written");
    for state in ["processing", "done", "cancelled"] {
        set_request(&pool, id, state, "task-1").await;
        let before = show(&db, id);
        let stderr = failure(&db.cli(&["requests", "requeue", &id.to_string()]));
        let expected =
            format!("request {id} is `{state}`: only a request in `error` can be requeued");
        assert!(stderr.contains(&expected), "{stderr}");
        assert_eq!(show(&db, id), before, "{state}: something was written");
    }
    set_request(&pool, id, "error", "task-1").await;
    put_lease(&pool, id, Lease::live("w-busy", 1)).await;
    let before = show(&db, id);
    let stderr = failure(&db.cli(&["requests", "requeue", &id.to_string()]));
    assert!(stderr.contains("leased by worker `w-busy`"), "{stderr}");
    assert!(
        stderr.contains("a paid task may still be running"),
        "{stderr}"
    );
    assert_eq!(show(&db, id), before);
    let stderr = failure(&db.cli(&["requests", "requeue", "999"]));
    assert!(
        stderr.contains("no generation request with id 999"),
        "{stderr}"
    );
}

async fn requeue_resets_a_failed_request_and_keeps_its_task(db: TestDb) {
    let pool = db.migrated().await;
    let id = enqueue_id(&db, &["--prompt", "x", "--user", "9"]);
    set_request(&pool, id, "error", "task-77").await;
    // A crashed worker's lease: it names a worker but has run out.
    put_lease(
        &pool,
        id,
        Lease {
            worker: Some("w-dead"),
            attempt: 2,
            failures: 1,
            ago: 60,
            delivered: false,
        },
    )
    .await;
    put_refund(&pool, id, 4242).await;
    let before = show(&db, id);
    assert_eq!(before["error_message"], "boom");
    assert!(before["completed_at"].is_string() && before["processing_time"].is_number());

    let out = success(&db.cli(&["requests", "requeue", &id.to_string()]));
    assert!(out.contains(&format!("requeued request {id}")), "{out}");
    assert!(
        out.contains("task-77") && out.contains("resumes that task"),
        "{out}"
    );
    assert!(out.contains("refund stands"), "{out}");
    let after = show(&db, id);
    assert_eq!(after["status"], "queued");
    assert_eq!(after["error_message"], "");
    assert_eq!(after["completed_at"], Value::Null);
    assert_eq!(after["processing_time"], Value::Null);
    assert_eq!(after["lease"]["attempt"], 2, "the attempt number goes on");
    assert_eq!(after["lease"]["worker_id"], "w-dead");
    assert_eq!(after["provider_job_id"], "task-77", "task id kept");
    assert_eq!(after["refund"], before["refund"], "refund record kept");
    assert_eq!(count(&pool, "genworker_refund").await, 1);
    for key in [
        "started_at",
        "transaction_id",
        "user_id",
        "cost",
        "run_code",
        "created_at",
    ] {
        assert_eq!(after[key], before[key], "{key}");
    }

    // Without a task id, the output says a new task will be submitted.
    let fresh = enqueue_id(&db, &["--prompt", "y"]);
    set_request(&pool, fresh, "error", "").await;
    let out = success(&db.cli(&["requests", "requeue", &fresh.to_string()]));
    assert!(out.contains("no provider task id"), "{out}");
    assert!(!out.contains("refund"), "{out}");
}

async fn cancel_ends_queued_and_processing_requests_only(db: TestDb) {
    let pool = db.migrated().await;
    let queued = enqueue_id(&db, &["--prompt", "q"]);
    let processing = enqueue_id(&db, &["--prompt", "p"]);
    set_request(&pool, processing, "processing", "task-5").await;
    put_lease(&pool, processing, Lease::live("w1", 1)).await;

    let out = success(&db.cli(&["requests", "cancel", &queued.to_string()]));
    assert_eq!(
        out.trim(),
        format!(
            "cancelled request {queued} (was queued)\nno charge: nothing to give back\n\
             nobody to tell: the request has no chat"
        )
    );
    let row = show(&db, queued);
    assert_eq!(row["status"], "cancelled");
    assert!(row["completed_at"].as_str().unwrap() >= row["created_at"].as_str().unwrap());

    let out = success(&db.cli(&["requests", "cancel", &processing.to_string(), "--no-notify"]));
    assert!(out.contains("was processing"), "{out}");
    assert!(!out.contains("told"), "{out}");
    let row = show(&db, processing);
    assert_eq!(row["status"], "cancelled");
    assert!(row["completed_at"].is_string());
    assert_eq!(
        row["lease"]["worker_id"], "w1",
        "the worker notices and lets go"
    );

    for state in ["done", "error", "cancelled"] {
        set_request(&pool, queued, state, "").await;
        let before = show(&db, queued);
        let stderr = failure(&db.cli(&["requests", "cancel", &queued.to_string()]));
        assert!(
            stderr.contains(&format!("request {queued} is already `{state}`")),
            "{stderr}"
        );
        assert_eq!(show(&db, queued), before, "{state}: something was written");
    }
    let stderr = failure(&db.cli(&["requests", "cancel", "999"]));
    assert!(
        stderr.contains("no generation request with id 999"),
        "{stderr}"
    );
}

/// A paid request cancelled as the bot's `cancel_generation` cancels it: refunded
/// with its reason, once ever; `--no-refund` gives nothing back.
async fn cancelling_a_paid_request_refunds_it_once(db: TestDb) {
    let pool = db.migrated().await;
    let paid = enqueue(&db, &["--prompt", "paid", "--user", "77"]);
    let id = paid["id"].as_i64().unwrap();
    let charge = paid["transaction_id"].as_i64().unwrap();
    let out = success(&db.cli(&["requests", "cancel", &id.to_string(), "--no-notify"]));
    assert!(out.contains("refunded 69.00 (transaction "), "{out}");
    let row = show(&db, id);
    assert_eq!(row["status"], "cancelled");
    assert_eq!(row["error_message"], "", "the bot's cancel leaves it");
    assert_eq!(row["processing_time"], serde_json::Value::Null);
    let refund = row["refund"]["transaction_id"].as_i64().unwrap();
    let tx = transaction_row(&pool, refund).await;
    assert_eq!(tx.kind, "refund");
    assert_eq!(tx.amount, "69.00");
    assert_eq!(tx.balance_after, "0.00");
    assert_eq!(
        tx.description,
        "Возврат за неудачную генерацию: Генерация отменена"
    );
    assert_eq!(
        tx.description_en,
        "Refund for failed generation: Генерация отменена"
    );
    assert_eq!(tx.related_transaction_id, Some(charge));
    let user = paid["user_id"].as_i64().unwrap();
    assert_eq!(balance_row(&pool, user).await.money[..2], ["0.00", "0.00"]);

    // Requeued by hand and cancelled again: the one refund stands, nothing more.
    set_request(&pool, id, "queued", "").await;
    let out = success(&db.cli(&["requests", "cancel", &id.to_string(), "--no-notify"]));
    assert!(out.contains("already refunded once"), "{out}");
    assert_eq!(count(&pool, "botapp_transaction").await, 2);

    // Failed and refunded by the bot's own worker before genworker (a `refund`
    // transaction of its charge), then requeued by hand: never refunded again.
    let earlier = enqueue(&db, &["--prompt", "earlier", "--user", "77"]);
    let earlier_charge = earlier["transaction_id"].as_i64().unwrap();
    let now = if db.is_postgres() {
        "now()"
    } else {
        "'2026-12-01 00:00:00.000000'"
    };
    crate::contract::execute_sql(
        &db,
        &format!(
            "INSERT INTO botapp_transaction (type, amount, balance_after, description, description_en, \
             payment_method, payment_id, payment_data, is_completed, is_pending, created_at, updated_at, \
             generation_request_id, related_transaction_id, user_id) \
             SELECT 'refund', 69, 0, 'Возврат за неудачную генерацию: x', 'Refund for failed generation: x', \
             NULL, NULL, '{{}}', {t}, {f}, {now}, {now}, NULL, id, user_id \
             FROM botapp_transaction WHERE id = {earlier_charge}",
            t = if db.is_postgres() { "TRUE" } else { "1" },
            f = if db.is_postgres() { "FALSE" } else { "0" },
        ),
    );
    let earlier_id = earlier["id"].as_i64().unwrap().to_string();
    let out = success(&db.cli(&["requests", "cancel", &earlier_id, "--no-notify"]));
    assert!(out.contains("already refunded once"), "{out}");
    assert_eq!(count(&pool, "botapp_transaction").await, 4);

    let kept = enqueue(&db, &["--prompt", "kept", "--user", "77"])["id"]
        .as_i64()
        .unwrap();
    let out = success(&db.cli(&[
        "requests",
        "cancel",
        &kept.to_string(),
        "--no-refund",
        "--no-notify",
    ]));
    assert!(out.contains("nothing given back (--no-refund)"), "{out}");
    assert_eq!(count(&pool, "botapp_transaction").await, 5);
    assert_eq!(
        balance_row(&pool, user).await.money[..2],
        ["-138.00", "138.00"]
    );
}
