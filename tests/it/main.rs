//! Integration tests: one binary, every test on its own fresh database
//! (a temporary SQLite file, or a new PostgreSQL database from TEST_DATABASE_URL).
//! Tests named `…::postgres::…`, `…::postgres_latest::…` (on the tables of the
//! bot's latest release, `tests/bot/latest_db/`) or `…::postgres_<what>` need
//! PostgreSQL; scripts/test.sh skips them only outside CI when no server answers. Tests named `s3_storage::…` need the
//! S3-compatible server at TEST_S3_ENDPOINT (moto, started by scripts/test.sh).

mod support;

mod cli_common;
mod cli_models;
mod cli_requests;
mod cli_run;
mod connection;
mod contract;
mod daemon;
mod demo;
mod docs;
mod messages;
mod metrics;
mod migrations;
mod mp4;
mod providers;
mod registry;
mod s3_storage;
mod schema_check;
mod secrets;
mod settings;
mod simulator;
mod snapshot;
