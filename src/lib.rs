//! genworker: the video generation worker of a Django Telegram bot.
//!
//! It shares the bot's database: [`db`] speaks PostgreSQL or SQLite with the
//! exact tables Django creates ([`schema`]), [`catalog`] manages the AI models,
//! and [`cli`] is the command line an operator uses.

pub mod callback;
pub mod catalog;
pub mod cli;
pub mod daemon;
pub mod db;
pub mod download;
pub mod i18n;
pub mod message;
pub mod metrics;
pub mod net;
pub mod provider;
pub mod queue;
pub mod schema;
pub mod settings;
pub mod simulator;
pub mod storage;
pub mod telegram;
pub mod telemetry;
