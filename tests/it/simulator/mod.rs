//! The simulator from outside: it plays Kling in both API styles, through
//! useapi.net too, Google Veo in both API styles and the Telegram Bot API, with
//! injected faults; the videos it serves are real H.264 MP4 files, its Telegram
//! serves a photo from the start, and `genworker simulate` prints a hint that
//! works as printed.

mod faults;
mod kling;
mod simulate;
mod support;
mod telegram;
mod useapi;
mod veo;
mod videos;
