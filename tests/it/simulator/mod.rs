//! The simulator from outside: the videos it serves are real H.264 MP4 files,
//! its Telegram serves a photo from the start, and `genworker simulate` prints
//! a hint that works as printed.

mod simulate;
mod videos;
