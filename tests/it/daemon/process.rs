//! `genworker run` as a child process against a harness's database and simulator.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{Harness, TOKEN};

/// The daemon process, killed when dropped (a failed assert leaves nothing running).
pub struct DaemonProcess {
    child: Child,
    /// Its stderr, in a file: a pipe nobody reads would block a chatty daemon.
    /// `None` when its stderr is a pipe whose reader is gone.
    log: Option<PathBuf>,
}

impl DaemonProcess {
    /// Kills it and returns what it logged.
    pub fn kill_and_logs(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(self.log.as_ref().expect("a logged daemon")).unwrap()
    }

    /// What it logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.log.as_ref().expect("a logged daemon")).unwrap_or_default()
    }

    /// Sends SIGTERM and waits (at most 30 s) for it to exit.
    pub fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the daemon ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Harness {
    /// Starts the real binary with the harness's settings (fast polls, the
    /// simulator as Kling and Telegram) plus `extra`; its stderr is kept.
    pub fn spawn_binary(&self, extra: &[(&str, &str)]) -> DaemonProcess {
        let log = self
            .db
            .dir
            .path()
            .join(format!("daemon-{}.log", rand::random::<u32>()));
        let child = self
            .daemon_command(extra)
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        DaemonProcess {
            child,
            log: Some(log),
        }
    }

    /// As [`Harness::spawn_binary`], with stderr a pipe closed at once (as
    /// `genworker run 2>&1 | head -n 0` leaves it): every log write fails.
    pub fn spawn_binary_with_closed_stderr(&self, extra: &[(&str, &str)]) -> DaemonProcess {
        let mut child = self
            .daemon_command(extra)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        DaemonProcess { child, log: None }
    }

    fn daemon_command(&self, extra: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_genworker"));
        command
            .arg("run")
            .current_dir(self.db.dir.path())
            .env_clear()
            .env("DATABASE_URL", self.db.url())
            .env("KLING_API_KEY", "kling-key")
            .env("KLING_API_BASE_URL", self.sim.base_url())
            .env("KLING_POLL_INTERVAL", "0.02")
            .env("KLING_ALLOW_PRIVATE_URLS", "true")
            .env("TELEGRAM_BOT_TOKEN", TOKEN)
            .env("TELEGRAM_API_BASE_URL", self.sim.base_url())
            .env("MEDIA_ROOT", self.db.dir.path().join("media"))
            .env("GENWORKER_POLL_INTERVAL", "0.05")
            .env("GENWORKER_RETRY_BASE", "0.05");
        for (key, value) in extra {
            command.env(key, value);
        }
        command.stdout(Stdio::null());
        command
    }
}
