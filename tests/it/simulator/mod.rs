//! The simulator from outside: the videos it serves are real H.264 MP4 files,
//! and its Telegram serves a photo from the start.

mod videos;
