//! Kling through useapi.net, over loopback: auth, account set-up, the three
//! create endpoints, both id shapes and both status styles, the work download,
//! failures, the fallback poll path, assets and faults.

mod files;
mod requests;
mod support;
mod tasks;
