//! The processes under test (the daemon as a [`Proc`]) and what the kernel says
//! of them and of the machine: CPU seconds, memory, the wall clock.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::{KillOnDrop, proc_kib};

/// A child process killed (SIGKILL) when dropped, unless stopped before; its
/// standard error goes to `log`.
pub(super) struct Proc {
    pub(super) child: KillOnDrop,
    pub(super) log: PathBuf,
}

impl Proc {
    pub(super) fn pid(&self) -> u32 {
        self.child.0.as_ref().unwrap().id()
    }

    /// SIGTERM, then waits (SIGKILL after 30 s).
    pub(super) fn stop(mut self) {
        if let Some(mut child) = self.child.0.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            eprintln!("  (process did not exit within 30 s of SIGTERM; killed)");
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(super) fn assert_alive(&mut self, what: &str) {
        if let Some(child) = self.child.0.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            panic!(
                "{what} exited ({status}); last log lines:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    }
}

/// `utime + stime` of a process in seconds.
pub(super) fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
        return 0.0;
    };
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After "(comm) ": field 3 (state) is index 0, so utime (14) is 11, stime (15) is 12.
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks as f64 / clock_ticks()
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// A `/proc/<pid>/status` field in MiB (`VmRSS`, `VmHWM`).
pub(super) fn status_mib(pid: u32, field: &str) -> f64 {
    proc_kib(&format!("/proc/{pid}/status"), field) as f64 / 1024.0
}

/// The machine's memory in GiB.
pub(super) fn mem_total_gib() -> f64 {
    proc_kib("/proc/meminfo", "MemTotal:") as f64 / 1024.0 / 1024.0
}

pub(super) fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}
