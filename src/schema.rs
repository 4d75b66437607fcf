//! Diesel table definitions for the botapp tables genworker shares with Django.
//!
//! One schema serves both backends: JSON and datetime columns use the portable
//! types of [`crate::db::types`]; the column order follows the PostgreSQL contract.

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DateTimeField;

    botapp_tguser (id) {
        id -> BigInt,
        chat_id -> BigInt,
        username -> Text,
        created_at -> DateTimeField,
        first_name -> Text,
        is_blocked -> Bool,
        is_premium -> Bool,
        language_code -> Text,
        last_name -> Text,
        updated_at -> DateTimeField,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DateTimeField;

    botapp_userbalance (id) {
        id -> BigInt,
        balance -> Numeric,
        total_spent -> Numeric,
        total_deposited -> Numeric,
        bonus_balance -> Numeric,
        referral_code -> Nullable<Text>,
        referral_earnings -> Numeric,
        created_at -> DateTimeField,
        updated_at -> DateTimeField,
        referred_by_id -> Nullable<BigInt>,
        user_id -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{JsonField, DateTimeField};

    botapp_transaction (id) {
        id -> BigInt,
        #[sql_name = "type"]
        kind -> Text,
        amount -> Numeric,
        balance_after -> Numeric,
        description -> Text,
        description_en -> Text,
        payment_method -> Nullable<Text>,
        payment_id -> Nullable<Text>,
        payment_data -> JsonField,
        is_completed -> Bool,
        is_pending -> Bool,
        created_at -> DateTimeField,
        updated_at -> DateTimeField,
        generation_request_id -> Nullable<BigInt>,
        related_transaction_id -> Nullable<BigInt>,
        user_id -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{JsonField, DateTimeField};

    botapp_aimodel (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        display_name -> Text,
        #[sql_name = "type"]
        kind -> Text,
        provider -> Text,
        description -> Text,
        short_description -> Text,
        price -> Numeric,
        api_endpoint -> Text,
        api_model_name -> Text,
        max_prompt_length -> Integer,
        supports_image_input -> Bool,
        max_input_images -> Integer,
        default_params -> JsonField,
        allowed_params -> JsonField,
        max_quantity -> Integer,
        cooldown_seconds -> Integer,
        daily_limit -> Nullable<Integer>,
        is_active -> Bool,
        is_beta -> Bool,
        min_user_level -> Integer,
        #[sql_name = "order"]
        sort_order -> Integer,
        total_generations -> Integer,
        total_errors -> Integer,
        average_generation_time -> Double,
        created_at -> DateTimeField,
        updated_at -> DateTimeField,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{JsonField, DateTimeField};

    botapp_genrequest (id) {
        id -> BigInt,
        run_code -> Text,
        chat_id -> BigInt,
        prompt -> Text,
        quantity -> SmallInt,
        model -> Text,
        status -> Text,
        result_urls -> JsonField,
        created_at -> DateTimeField,
        completed_at -> Nullable<DateTimeField>,
        cost -> Numeric,
        duration -> Nullable<Integer>,
        error_message -> Text,
        file_sizes -> JsonField,
        generation_params -> JsonField,
        generation_type -> Text,
        input_images -> JsonField,
        processing_time -> Nullable<Double>,
        started_at -> Nullable<DateTimeField>,
        user_id -> Nullable<BigInt>,
        video_resolution -> Text,
        ai_model_id -> Nullable<BigInt>,
        transaction_id -> Nullable<BigInt>,
        aspect_ratio -> Text,
        provider_job_id -> Text,
        provider_metadata -> JsonField,
        source_media -> JsonField,
        parent_request_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DateTimeField;

    /// genworker's claim on a request: lease, fencing attempt, failures, delivery.
    genworker_lease (request_id) {
        request_id -> BigInt,
        worker_id -> Nullable<Text>,
        attempt -> Integer,
        failures -> Integer,
        lease_expires_at -> DateTimeField,
        last_error -> Text,
        delivered -> Bool,
        updated_at -> DateTimeField,
        error_message_en -> Text,
        failed_task_id -> Text,
        task_round -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DateTimeField;

    /// The one refund of a failed request.
    genworker_refund (request_id) {
        request_id -> BigInt,
        transaction_id -> BigInt,
        created_at -> DateTimeField,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DateTimeField;

    /// One row per running daemon (genworker's own table).
    genworker_worker (id) {
        id -> Text,
        host -> Text,
        pid -> Integer,
        process_space -> Text,
        lock_key -> BigInt,
        started_at -> DateTimeField,
        heartbeat_at -> DateTimeField,
    }
}

diesel::joinable!(genworker_lease -> botapp_genrequest (request_id));
diesel::joinable!(botapp_genrequest -> botapp_aimodel (ai_model_id));

diesel::allow_tables_to_appear_in_same_query!(
    botapp_aimodel,
    botapp_genrequest,
    botapp_transaction,
    botapp_tguser,
    botapp_userbalance,
    genworker_lease,
    genworker_refund,
    genworker_worker,
);
