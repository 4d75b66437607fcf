//! What genworker needs of each botapp column it reads or writes, and the check
//! of a live schema against it. The floor of every column is its type at the bot's
//! b6702256 release (the contract, `tests/contract/`): a later release may widen a
//! column, never narrow it below what genworker writes.

use super::Dialect;
use super::column::{LiveColumn, SqlKind};
use super::introspect::Columns;
use super::report::Problem;

/// The narrowest type a column may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Floor {
    /// The primary key: a `bigint` the database numbers (SQLite: the rowid).
    Key,
    /// `bigint` (ids, foreign keys, chat ids).
    BigInt,
    /// `integer`.
    Integer,
    /// `smallint`.
    SmallInt,
    /// `varchar` of at least this many characters, or `text`.
    Chars(u32),
    /// `text`: genworker writes values of any length.
    Text,
    /// `numeric` holding this many whole digits and decimal places.
    Money {
        /// Digits before the point.
        whole: u32,
        /// Digits after the point.
        places: u32,
    },
    /// `boolean`.
    Bool,
    /// A Django `JSONField`: `jsonb` (SQLite: `text`).
    Json,
    /// A Django `DateTimeField`: `timestamp with time zone` (SQLite: `datetime`).
    Time,
    /// `double precision` (SQLite: `real`).
    Double,
}

/// How genworker uses a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Read as NOT NULL (and written, never NULL).
    Read,
    /// Written, never NULL; never read.
    Write,
    /// Read as nullable, written NOT NULL (a hand-written NULL must not stop a claim).
    ReadNullable,
    /// Nullable: read as such, and genworker may write NULL into it.
    Null,
}

/// One column genworker reads or writes.
#[derive(Debug, Clone, Copy)]
pub struct Need {
    /// `botapp_…`.
    pub table: &'static str,
    /// The column.
    pub column: &'static str,
    /// Its narrowest acceptable type.
    pub floor: Floor,
    /// How genworker uses it.
    pub usage: Use,
}

const fn need(table: &'static str, column: &'static str, floor: Floor, usage: Use) -> Need {
    Need {
        table,
        column,
        floor,
        usage,
    }
}

/// The tables genworker inserts rows into (and reads and writes), in the order
/// it reports them.
pub const INSERTED: [&str; 5] = [
    "botapp_tguser",
    "botapp_userbalance",
    "botapp_transaction",
    "botapp_aimodel",
    "botapp_genrequest",
];

/// The user's progress (`UserSettings`): genworker only updates rows the bot
/// created, and only where the table exists.
pub const USER_SETTINGS: &str = "botapp_usersettings";

/// Every table genworker checks: [`INSERTED`], then the optional [`USER_SETTINGS`].
pub const TABLES: [&str; 6] = [
    INSERTED[0],
    INSERTED[1],
    INSERTED[2],
    INSERTED[3],
    INSERTED[4],
    USER_SETTINGS,
];

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

/// Why a live column cannot serve a need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// Another kind of type.
    Type,
    /// Narrower than the floor.
    Width,
    /// A key the database does not number.
    NoIdentity,
    /// NULL allowed where genworker reads NOT NULL.
    Nullable,
    /// NOT NULL where genworker writes NULL.
    NotNull,
}

/// What genworker needs of `table.column`, if it reads or writes it.
pub fn find(table: &str, column: &str) -> Option<&'static Need> {
    NEEDS
        .iter()
        .find(|need| need.table == table && need.column == column)
}

/// The columns of `table` genworker writes into every row it inserts there (all
/// but the key, which the database numbers) that `written` leaves out.
pub fn unset<'a>(table: &str, written: impl Iterator<Item = &'a str>) -> Vec<&'static str> {
    let written: Vec<&str> = written.collect();
    NEEDS
        .iter()
        .filter(|need| need.table == table && need.floor != Key)
        .filter(|need| !written.contains(&need.column))
        .map(|need| need.column)
        .collect()
}

impl Need {
    /// What genworker needs, in words (`numeric with at least 4 whole digits and 2 places`).
    fn wanted(&self, backend: Dialect) -> String {
        let kind = match (self.floor, backend) {
            (Key, Dialect::Postgres) => "a bigint the database numbers (identity)".to_owned(),
            (Key, Dialect::Sqlite) => "an integer primary key (the rowid)".to_owned(),
            (BigInt, _) => "bigint".to_owned(),
            (Integer, _) => "integer".to_owned(),
            (SmallInt, _) => "smallint".to_owned(),
            (Chars(n), _) => format!("varchar({n}) or wider"),
            (Text, _) => "text (no length limit)".to_owned(),
            (Floor::Money { whole, places }, _) => {
                format!("numeric with at least {whole} whole digits and {places} decimal places")
            }
            (Bool, Dialect::Postgres) => "boolean".to_owned(),
            (Bool, Dialect::Sqlite) => "bool".to_owned(),
            (Json, Dialect::Postgres) => "jsonb".to_owned(),
            (Json, Dialect::Sqlite) => "text (JSON)".to_owned(),
            (Time, Dialect::Postgres) => "timestamptz".to_owned(),
            (Time, Dialect::Sqlite) => "datetime".to_owned(),
            (Double, Dialect::Postgres) => "float8".to_owned(),
            (Double, Dialect::Sqlite) => "real".to_owned(),
        };
        let verb = match self.usage {
            Read => "reads and writes it as",
            Write => "writes it as",
            ReadNullable => "reads and writes it as",
            Null => "reads and writes it (NULL included) as",
        };
        let null = if self.usage == Null { "" } else { " NOT NULL" };
        format!("genworker {verb} {kind}{null}")
    }

    /// Why `live` cannot serve this need, if it cannot.
    fn refuses(&self, live: &LiveColumn, backend: Dialect) -> Option<Refusal> {
        if !self.kind_fits(live.kind, backend) {
            return Some(Refusal::Type);
        }
        match self.floor {
            Chars(n) if live.max_chars.is_some_and(|max| max < n) => return Some(Refusal::Width),
            Text if live.max_chars.is_some() => return Some(Refusal::Width),
            Floor::Money { whole, places } => {
                if let Some((_, scale)) = live.numeric
                    && (scale < places || live.whole_digits().is_some_and(|d| d < whole))
                {
                    return Some(Refusal::Width);
                }
            }
            Key if !live.has_default => return Some(Refusal::NoIdentity),
            _ => {}
        }
        match self.usage {
            Read if live.nullable => Some(Refusal::Nullable),
            Null if !live.nullable => Some(Refusal::NotNull),
            _ => None,
        }
    }

    fn kind_fits(&self, kind: SqlKind, backend: Dialect) -> bool {
        use SqlKind as K;
        let integer = matches!(kind, K::SmallInt | K::Integer | K::BigInt);
        match (self.floor, backend) {
            // SQLite stores every integer as 64 bits whatever the declared name.
            (Key | BigInt | Integer | SmallInt, Dialect::Sqlite) => integer,
            (Key | BigInt, Dialect::Postgres) => kind == K::BigInt,
            (Integer, Dialect::Postgres) => kind == K::Integer,
            (SmallInt, Dialect::Postgres) => kind == K::SmallInt,
            (Chars(_) | Text, _) => kind == K::Text,
            (Floor::Money { .. }, _) => kind == K::Numeric,
            (Bool, _) => kind == K::Bool,
            (Json, Dialect::Postgres) => kind == K::Jsonb,
            (Json, Dialect::Sqlite) => kind == K::Text,
            (Time, _) => kind == K::Timestamp,
            (Double, _) => kind == K::Double,
        }
    }
}

/// Every way the live columns fail genworker's needs, one problem per column.
pub fn check(columns: &Columns, backend: Dialect) -> Vec<Problem> {
    let mut problems = Vec::new();
    for table in TABLES {
        let Some(live) = columns.get(table) else {
            if table != USER_SETTINGS {
                problems.push(Problem::missing_table(table));
            }
            continue;
        };
        for need in NEEDS.iter().filter(|need| need.table == table) {
            let wanted = need.wanted(backend);
            match live.iter().find(|column| column.name == need.column) {
                None => problems.push(Problem::new(table, need.column, wanted, "no such column")),
                Some(column) => {
                    if let Some(reason) = need.refuses(column, backend) {
                        let found = match reason {
                            Refusal::NoIdentity => format!("{column} without identity or default"),
                            _ => column.to_string(),
                        };
                        problems.push(Problem::new(table, need.column, wanted, found));
                    }
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_lists_every_written_column_a_row_leaves_out_but_the_key() {
        let all: Vec<&str> = NEEDS
            .iter()
            .filter(|n| n.table == "botapp_tguser")
            .map(|n| n.column)
            .collect();
        assert!(unset("botapp_tguser", all.iter().copied()).is_empty());
        let without = all
            .iter()
            .copied()
            .filter(|c| *c != "language_code" && *c != "id");
        assert_eq!(unset("botapp_tguser", without), ["language_code"]);
    }

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
            "../../../tests/contract/botapp_columns.postgres.tsv"
        ));
        let settings = contract(include_str!(
            "../../../tests/contract/usersettings/botapp_usersettings.postgres.tsv"
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
