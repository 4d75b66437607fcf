//! Who this process is, as the worker registry records it: its host name, its
//! pid, and its process space (the kernel's boot id and the pid namespace), so
//! that a worker seeing another of the same space can tell that its process
//! is gone.

/// This process's host name (`/etc/hostname`, else `genworker`).
pub fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "genworker".to_owned())
}

/// `<boot id>/<pid namespace>`, or "" where the system does not say.
pub fn process_space() -> String {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|id| id.trim().to_owned())
        .unwrap_or_default();
    let namespace = std::fs::read_link("/proc/self/ns/pid")
        .map(|link| link.to_string_lossy().into_owned())
        .unwrap_or_default();
    if boot.is_empty() || namespace.is_empty() {
        String::new()
    } else {
        format!("{boot}/{namespace}")
    }
}

/// Whether a process of this pid exists in this process space: a signal-0
/// check, so a process of another user counts too (`EPERM`), whatever `/proc`
/// shows (`hidepid`).
pub fn process_exists(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    let Some(pid) = rustix::process::Pid::from_raw(pid) else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(error) => error != rustix::io::Errno::SRCH,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_seen_and_a_pid_beyond_the_maximum_is_not() {
        assert!(process_exists(std::process::id() as i32));
        assert!(!process_exists(i32::MAX));
        assert!(!process_exists(0), "not a process id");
        assert!(!process_exists(-1), "never a process group");
        let space = process_space();
        assert!(space.contains("/pid:["), "{space}");
        assert_eq!(space, process_space(), "stable within a process");
    }
}
