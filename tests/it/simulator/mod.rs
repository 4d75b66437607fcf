//! The simulator from outside: the videos it serves are real H.264 MP4 files,
//! its Telegram serves a photo from the start, it plays Google Veo in both API
//! styles and Kling through useapi.net, and `genworker simulate` prints a hint
//! that works as printed.

mod simulate;
mod useapi;
mod veo;
mod videos;
