//! Messages in the user's language: `botapp_tguser.language_code` starting with
//! `en` gets English captions and error messages; anyone else (another code, a
//! blank one, no user at all) gets the seed's Russian. `error_message` and the
//! refund stay in the seed's Russian wording either way.

use std::time::Duration;

use genworker::simulator::{Knobs, Outcome, TelegramMessage};
use serde_json::json;

use super::Harness;
use crate::support::{TestDb, on_every_schema};

on_every_schema!(
    captions_follow_the_users_language,
    failures_are_told_in_the_users_language_and_stored_in_russian,
);

fn set_language(h: &Harness, chat_id: i64, code: &str) {
    h.sql(&format!(
        "UPDATE botapp_tguser SET language_code = '{code}' WHERE chat_id = {chat_id}"
    ));
}

/// The one message sent to `chat_id`.
fn sent_to(messages: &[TelegramMessage], chat_id: i64) -> &TelegramMessage {
    let mut found = messages.iter().filter(|m| m.chat_id == chat_id.to_string());
    let message = found.next().expect("a message to this chat");
    assert!(found.next().is_none(), "one message to chat {chat_id}");
    message
}

async fn captions_follow_the_users_language(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    let english = h.enqueue("a fox", "text2video", json!({}), Some(101)).await;
    set_language(&h, 101, "en-US");
    let russian = h.enqueue("a fox", "text2video", json!({}), Some(102)).await;
    let german = h.enqueue("a fox", "text2video", json!({}), Some(103)).await;
    set_language(&h, 103, "de");
    // The bot may write a request without a user; its chat still hears back.
    let no_user = h.enqueue("a fox", "text2video", json!({}), Some(104)).await;
    h.sql(&format!(
        "UPDATE botapp_genrequest SET user_id = NULL WHERE id = {}",
        no_user.id
    ));
    let ids = [english.id, russian.id, german.id, no_user.id];
    let daemon = h.start("w1", &[]);
    h.wait_final(&ids, Duration::from_secs(30)).await;
    daemon.shutdown().await;

    for id in ids {
        assert_eq!(h.request(id).await.status, "done");
    }
    let messages = h.sim.telegram_messages();
    assert_eq!(messages.len(), 4);
    let caption = |chat_id| sent_to(&messages, chat_id).caption.clone().unwrap();
    let english_caption = h.db.bot_caption(true, "a fox", "69.00", "-69.00");
    assert_eq!(caption(101), english_caption);
    for chat_id in [102, 103, 104] {
        assert_eq!(
            caption(chat_id),
            h.db.bot_caption(false, "a fox", "69.00", "-69.00"),
            "chat {chat_id}"
        );
        // The same buttons for every user: the bot's handlers answer them.
        assert_eq!(
            sent_to(&messages, chat_id).reply_markup,
            sent_to(&messages, 101).reply_markup
        );
    }

    // Finished but not delivered (a crash before the message): the next
    // worker's caption is in the user's language too.
    h.retell("w2", &[english.id], 5).await;
    let messages = h.sim.telegram_messages();
    assert_eq!(messages[4].chat_id, "101");
    assert_eq!(
        messages[4].caption.as_deref(),
        Some(english_caption.as_str())
    );
}

async fn failures_are_told_in_the_users_language_and_stored_in_russian(db: TestDb) {
    let h = Harness::new(db, &[]).await;
    h.sim.set_knobs(Knobs {
        outcome: Outcome::Reject {
            message: "NSFW content".into(),
        },
        ..Knobs::default()
    });
    let english = h
        .enqueue("bad prompt", "text2video", json!({}), Some(201))
        .await;
    set_language(&h, 201, "EN");
    let blank = h
        .enqueue("bad prompt", "text2video", json!({}), Some(202))
        .await;
    set_language(&h, 202, "");
    // Refused before Kling is called: the plan's own message.
    let empty_prompt = h.enqueue("   ", "text2video", json!({}), Some(203)).await;
    set_language(&h, 203, "en");
    let ids = [english.id, blank.id, empty_prompt.id];
    let daemon = h.start("w1", &[]);
    h.wait_final(&ids, Duration::from_secs(30)).await;
    daemon.shutdown().await;

    let rejected = |task_id: &str| format!("Kling отклонил задачу {task_id}: NSFW content");
    let english_row = h.request(english.id).await;
    let blank_row = h.request(blank.id).await;
    let empty_row = h.request(empty_prompt.id).await;
    for row in [&english_row, &blank_row, &empty_row] {
        assert_eq!(row.status, "error");
    }
    assert_eq!(
        english_row.error_message,
        rejected(&english_row.provider_job_id)
    );
    assert_eq!(
        blank_row.error_message,
        rejected(&blank_row.provider_job_id)
    );
    assert_eq!(
        empty_row.error_message,
        "Промпт пустой: опишите, какое видео нужно."
    );

    let messages = h.sim.telegram_messages();
    assert_eq!(messages.len(), 3);
    let text = |chat_id| sent_to(&messages, chat_id).text.clone().unwrap();
    assert_eq!(
        text(201),
        format!(
            "❌ Video generation failed: Kling rejected task {}: NSFW content",
            english_row.provider_job_id
        )
    );
    assert_eq!(
        text(202),
        format!(
            "❌ Ошибка генерации видео: {}",
            rejected(&blank_row.provider_job_id)
        )
    );
    assert_eq!(
        text(203),
        "❌ Video generation failed: The prompt is empty: describe the video you want."
    );

    // The refund is written as the bot writes it, whatever the user's language.
    let refund = h
        .transactions()
        .await
        .into_iter()
        .find(|row| row.kind == "refund" && row.related_transaction_id == english.transaction_id)
        .expect("the English user's refund");
    let reason = rejected(&english_row.provider_job_id);
    assert_eq!(
        refund.description,
        format!("Возврат за неудачную генерацию: {reason}")
    );
    assert_eq!(
        refund.description_en,
        format!("Refund for failed generation: {reason}")
    );

    // Failed but not told (Telegram was down, or a crash): the next worker
    // retells each failure in its user's language, the English one included.
    h.retell("w2", &[english.id, blank.id], 5).await;
    let retold = h.sim.telegram_messages().split_off(3);
    assert_eq!(sent_to(&retold, 201).text, Some(text(201)));
    assert_eq!(sent_to(&retold, 202).text, Some(text(202)));
}
