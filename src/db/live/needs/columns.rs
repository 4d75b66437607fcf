//! The table of every botapp column genworker reads or writes, each with its
//! floor (its type at the bot's b6702256 release) and how genworker uses it.

use super::{Floor, Need, USER_SETTINGS, Use};

const fn need(table: &'static str, column: &'static str, floor: Floor, usage: Use) -> Need {
    Need {
        table,
        column,
        floor,
        usage,
    }
}

const MONEY_6_2: Floor = Floor::Money {
    whole: 4,
    places: 2,
};
const MONEY_10_2: Floor = Floor::Money {
    whole: 8,
    places: 2,
};

use Floor::{BigInt, Bool, Chars, Double, Integer, Json, Key, SmallInt, Text, Time};
use Use::{Null, Read, ReadNullable, Write};

/// Every botapp column genworker reads or writes.
pub const NEEDS: &[Need] = &[
    need("botapp_tguser", "id", Key, Read),
    need("botapp_tguser", "chat_id", BigInt, Read),
    need("botapp_tguser", "username", Chars(255), Write),
    need("botapp_tguser", "created_at", Time, Write),
    need("botapp_tguser", "first_name", Chars(255), Write),
    need("botapp_tguser", "is_blocked", Bool, Write),
    need("botapp_tguser", "is_premium", Bool, Write),
    need("botapp_tguser", "language_code", Chars(10), ReadNullable),
    need("botapp_tguser", "last_name", Chars(255), Write),
    need("botapp_tguser", "updated_at", Time, Write),
    need("botapp_userbalance", "id", Key, Read),
    need("botapp_userbalance", "balance", MONEY_10_2, Read),
    need("botapp_userbalance", "total_spent", MONEY_10_2, Read),
    need("botapp_userbalance", "total_deposited", MONEY_10_2, Write),
    need("botapp_userbalance", "bonus_balance", MONEY_10_2, Write),
    need("botapp_userbalance", "referral_code", Chars(20), Null),
    need("botapp_userbalance", "referral_earnings", MONEY_10_2, Write),
    need("botapp_userbalance", "created_at", Time, Write),
    need("botapp_userbalance", "updated_at", Time, Write),
    need("botapp_userbalance", "referred_by_id", BigInt, Null),
    need("botapp_userbalance", "user_id", BigInt, Read),
    need("botapp_transaction", "id", Key, Read),
    need("botapp_transaction", "type", Chars(20), Read),
    need("botapp_transaction", "amount", MONEY_10_2, Read),
    need("botapp_transaction", "balance_after", MONEY_10_2, Read),
    need("botapp_transaction", "description", Text, Write),
    need("botapp_transaction", "description_en", Text, Write),
    need("botapp_transaction", "payment_method", Chars(20), Null),
    need("botapp_transaction", "payment_id", Chars(100), Null),
    need("botapp_transaction", "payment_data", Json, Write),
    need("botapp_transaction", "is_completed", Bool, Write),
    need("botapp_transaction", "is_pending", Bool, Write),
    need("botapp_transaction", "created_at", Time, Read),
    need("botapp_transaction", "updated_at", Time, Write),
    need("botapp_transaction", "generation_request_id", BigInt, Null),
    need("botapp_transaction", "related_transaction_id", BigInt, Null),
    need("botapp_transaction", "user_id", BigInt, Read),
    need("botapp_aimodel", "id", Key, Read),
    need("botapp_aimodel", "slug", Chars(50), Read),
    need("botapp_aimodel", "name", Chars(100), Read),
    need("botapp_aimodel", "display_name", Chars(100), Read),
    need("botapp_aimodel", "type", Chars(10), Read),
    need("botapp_aimodel", "provider", Chars(20), Read),
    need("botapp_aimodel", "description", Text, Read),
    need("botapp_aimodel", "short_description", Chars(255), Read),
    need("botapp_aimodel", "price", MONEY_6_2, Read),
    need("botapp_aimodel", "api_endpoint", Chars(255), Read),
    need("botapp_aimodel", "api_model_name", Chars(100), Read),
    need("botapp_aimodel", "max_prompt_length", Integer, Read),
    need("botapp_aimodel", "supports_image_input", Bool, Read),
    need("botapp_aimodel", "max_input_images", Integer, Read),
    need("botapp_aimodel", "default_params", Json, Read),
    need("botapp_aimodel", "allowed_params", Json, Read),
    need("botapp_aimodel", "max_quantity", Integer, Read),
    need("botapp_aimodel", "cooldown_seconds", Integer, Read),
    need("botapp_aimodel", "daily_limit", Integer, Null),
    need("botapp_aimodel", "is_active", Bool, Read),
    need("botapp_aimodel", "is_beta", Bool, Read),
    need("botapp_aimodel", "min_user_level", Integer, Read),
    need("botapp_aimodel", "order", Integer, Read),
    need("botapp_aimodel", "total_generations", Integer, Read),
    need("botapp_aimodel", "total_errors", Integer, Read),
    need("botapp_aimodel", "average_generation_time", Double, Read),
    need("botapp_aimodel", "created_at", Time, Read),
    need("botapp_aimodel", "updated_at", Time, Read),
    need("botapp_genrequest", "id", Key, Read),
    need("botapp_genrequest", "run_code", Chars(64), Read),
    need("botapp_genrequest", "chat_id", BigInt, Read),
    need("botapp_genrequest", "prompt", Text, Read),
    need("botapp_genrequest", "quantity", SmallInt, Read),
    need("botapp_genrequest", "model", Chars(64), Read),
    need("botapp_genrequest", "status", Chars(16), Read),
    need("botapp_genrequest", "result_urls", Json, Read),
    need("botapp_genrequest", "created_at", Time, Read),
    need("botapp_genrequest", "completed_at", Time, Null),
    need("botapp_genrequest", "cost", MONEY_6_2, Read),
    need("botapp_genrequest", "duration", Integer, Null),
    need("botapp_genrequest", "error_message", Text, Read),
    need("botapp_genrequest", "file_sizes", Json, Read),
    need("botapp_genrequest", "generation_params", Json, Read),
    need("botapp_genrequest", "generation_type", Chars(20), Read),
    need("botapp_genrequest", "input_images", Json, Read),
    need("botapp_genrequest", "processing_time", Double, Null),
    need("botapp_genrequest", "started_at", Time, Null),
    need("botapp_genrequest", "user_id", BigInt, Null),
    need("botapp_genrequest", "video_resolution", Chars(20), Read),
    need("botapp_genrequest", "ai_model_id", BigInt, Null),
    need("botapp_genrequest", "transaction_id", BigInt, Null),
    need("botapp_genrequest", "aspect_ratio", Chars(10), Read),
    need("botapp_genrequest", "provider_job_id", Chars(512), Read),
    need("botapp_genrequest", "provider_metadata", Json, Read),
    need("botapp_genrequest", "source_media", Json, Read),
    need("botapp_genrequest", "parent_request_id", BigInt, Null),
    need(USER_SETTINGS, "total_generations", Integer, Read),
    need(USER_SETTINGS, "total_videos_generated", Integer, Read),
    need(USER_SETTINGS, "last_generation_at", Time, Null),
    need(USER_SETTINGS, "user_level", Integer, Read),
    need(USER_SETTINGS, "experience_points", Integer, Read),
    need(USER_SETTINGS, "updated_at", Time, Write),
    need(USER_SETTINGS, "user_id", BigInt, Read),
];

#[cfg(test)]
mod tests {
    use super::super::find;
    use super::*;

    /// `(table, column, type, nullable)` rows of a contract file.
    fn contract(text: &str) -> Vec<(String, String, String, bool)> {
        text.lines()
            .skip(1)
            .filter(|line| !line.is_empty())
            .map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                (
                    fields[0].to_owned(),
                    fields[1].to_owned(),
                    fields[2].to_owned(),
                    fields[3] == "NULL",
                )
            })
            .collect()
    }

    #[test]
    fn every_contract_column_is_needed_with_its_own_type_and_nullability() {
        let rows = contract(include_str!(
            "../../../../tests/contract/botapp_columns.postgres.tsv"
        ));
        let settings = contract(include_str!(
            "../../../../tests/contract/usersettings/botapp_usersettings.postgres.tsv"
        ));
        assert_eq!(
            rows.len(),
            NEEDS.iter().filter(|n| n.table != USER_SETTINGS).count()
        );
        let used: Vec<_> = settings
            .into_iter()
            .filter(|(_, column, _, _)| find(USER_SETTINGS, column).is_some())
            .collect();
        assert_eq!(
            used.len(),
            NEEDS.iter().filter(|n| n.table == USER_SETTINGS).count()
        );
        for (table, column, declared, nullable) in rows.into_iter().chain(used) {
            let need =
                find(&table, &column).unwrap_or_else(|| panic!("{table}.{column} is not in NEEDS"));
            let floor = match need.floor {
                Key | BigInt => "bigint".to_owned(),
                Integer => "integer".to_owned(),
                SmallInt => "smallint".to_owned(),
                Chars(n) => format!("varchar({n})"),
                Text => "text".to_owned(),
                Floor::Money { whole, places } => format!("numeric({},{places})", whole + places),
                Bool => "boolean".to_owned(),
                Json => "jsonb".to_owned(),
                Time => "timestamptz".to_owned(),
                Double => "float8".to_owned(),
            };
            assert_eq!(floor, declared, "{table}.{column}");
            assert_eq!(need.usage == Null, nullable, "{table}.{column} nullability");
        }
    }
}
