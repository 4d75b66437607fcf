//! Cancellation as the bot's `cancel_generation` cancels: the user is told in the
//! bot's words with its menu, the charge comes back once, and a cancellation that
//! races the daemon's own failure of the same request still refunds once.

use std::time::Duration;

use genworker::i18n::UserText;
use genworker::provider::ProviderError;
use genworker::provider::instant::{Fault, InstantProvider, Script};
use genworker::queue::admin;
use serde_json::json;

use super::Harness;
use crate::support::{BotRelease, SEED_MENU, TestDb, on_every_schema, success};

on_every_schema!(
    a_cancelled_user_is_told_with_the_bots_menu,
    a_cancel_racing_the_daemons_failure_refunds_once,
);

async fn a_cancelled_user_is_told_with_the_bots_menu(db: TestDb) {
    let h = Harness::new(db, &[("PUBLIC_BASE_URL", "https://bot.example")]).await;
    let request = h
        .enqueue("never mind", "text2video", json!({}), Some(31))
        .await;
    let out = success(&h.cli(&["requests", "cancel", &request.id.to_string()]));
    assert!(out.contains("the user was told (chat 31)"), "{out}");
    let messages = h.sim.telegram_messages();
    assert_eq!(messages.len(), 1);
    let told = &messages[0];
    assert_eq!(told.method, "sendMessage");
    assert_eq!(
        told.text.as_deref(),
        Some("❌ Ошибка генерации видео: Генерация отменена")
    );
    assert_eq!(told.parse_mode, None);
    let markup: serde_json::Value =
        serde_json::from_str(told.reply_markup.as_deref().unwrap()).unwrap();
    match h.db.release {
        BotRelease::Seed => assert_eq!(told.reply_markup.as_deref(), Some(SEED_MENU)),
        BotRelease::Latest => assert_eq!(
            markup["keyboard"][1][1],
            json!({"text": "💳 Пополнить баланс", "web_app": {"url": "https://bot.example/miniapp/"}})
        ),
    }
}

async fn a_cancel_racing_the_daemons_failure_refunds_once(db: TestDb) {
    let h = Harness::instant(db, &[]).await;
    let rejected = Fault::Answer(ProviderError::TaskFailed(UserText::same("no")));
    let script = Script::new(vec![rejected; 12]);
    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(
            h.enqueue(&format!("race {n}"), "text2video", json!({}), Some(400 + n))
                .await
                .id,
        );
    }
    // One after the other while the daemon fails them: some cancels come
    // first, some meet a request the daemon failed already.
    let cancels = async {
        for id in &ids {
            // Cancelled, or refused because the daemon failed it first: both are fine.
            let _ = admin::cancel(&h.pool, &h.tables, *id, true).await;
        }
    };
    let provider = InstantProvider::scripted("kling", 8, script);
    tokio::join!(
        h.run_until_idle("w1", &[], provider, Duration::from_secs(30)),
        cancels
    );
    let refunds = h.transactions().await;
    let mut ends = std::collections::BTreeMap::<String, usize>::new();
    for id in &ids {
        *ends.entry(h.request(*id).await.status).or_default() += 1;
    }
    eprintln!("race ends: {ends:?}");
    for id in ids {
        let request = h.request(id).await;
        assert!(
            matches!(request.status.as_str(), "cancelled" | "error"),
            "{}",
            request.status
        );
        let charge = request.transaction_id;
        let given_back = refunds
            .iter()
            .filter(|t| t.kind == "refund" && t.related_transaction_id == charge)
            .count();
        assert_eq!(given_back, 1, "request {id} ({})", request.status);
    }
}
