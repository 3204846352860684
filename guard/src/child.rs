//! Resource limits of a program a `command` connection runs, set in the
//! child between `fork` and `exec`.
//!
//! The limits are POSIX resource limits (`setrlimit(2)`), inherited by
//! everything the program starts:
//!
//! - `RLIMIT_CPU`: CPU seconds. At the soft limit the kernel sends
//!   `SIGXCPU` (which ends a program that does not handle it); the hard
//!   limit, one second later, sends `SIGKILL` to a program that does.
//! - `RLIMIT_AS`: bytes of virtual address space; an allocation beyond it
//!   fails (`ENOMEM`), which most programs report and exit on.
//! - `RLIMIT_NPROC`: processes (threads included) of the child's *real
//!   user*: a `fork` fails (`EAGAIN`) once the user has this many, the
//!   server's own threads included. The kernel does not apply it to root
//!   (`CAP_SYS_RESOURCE`, `CAP_SYS_ADMIN`).
//! - `RLIMIT_CORE`: 0, so that a program `SIGXCPU` ends leaves no core
//!   file behind.
//!
//! A limit is never raised: where the server's own hard limit is lower,
//! the child keeps that. Rules from
//! <https://man7.org/linux/man-pages/man2/getrlimit.2.html> and, for what
//! may run between `fork` and `exec`,
//! <https://man7.org/linux/man-pages/man7/signal-safety.7.html>.
//!
//! [`ExitWatch`] tells when a child has exited without reaping it (a
//! pidfd, <https://man7.org/linux/man-pages/man2/pidfd_open.2.html>), so
//! that its process group can be killed while the group's id is still
//! reserved by the unreaped leader.

use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt as _;

use rustix::process::{Pid, PidfdFlags, Resource, Rlimit, getrlimit, pidfd_open, setrlimit};
use tokio::io::unix::AsyncFd;

/// What a child may use; see the module documentation for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildLimits {
    /// CPU seconds (`RLIMIT_CPU` soft limit; the hard limit is one more).
    pub cpu_seconds: u64,
    /// Bytes of virtual address space (`RLIMIT_AS`).
    pub address_space_bytes: u64,
    /// Processes and threads of the child's real user (`RLIMIT_NPROC`).
    pub processes: u64,
}

/// Makes `command` apply `limits` in the child it spawns, just before the
/// program is executed. A limit that cannot be set makes the spawn fail
/// with that error, so no program runs unconfined.
pub fn limit(command: &mut std::process::Command, limits: ChildLimits) {
    let hook = move || {
        let cpu_hard = limits.cpu_seconds.saturating_add(1);
        lower(Resource::Cpu, limits.cpu_seconds, cpu_hard)?;
        lower(
            Resource::As,
            limits.address_space_bytes,
            limits.address_space_bytes,
        )?;
        lower(Resource::Nproc, limits.processes, limits.processes)?;
        lower(Resource::Core, 0, 0)?;
        Ok(())
    };
    // SAFETY: `pre_exec` runs `hook` in the forked child, where only
    // async-signal-safe work is sound (another thread of the parent may
    // have held the allocator's lock at the fork). `hook` allocates
    // nothing and takes no lock: it copies `limits` (plain integers), and
    // `lower` makes the raw `prlimit64` system calls of rustix's
    // `getrlimit`/`setrlimit`, builds `Rlimit` values on the stack, and
    // turns an errno into an `io::Error` with `from_raw_os_error`, which
    // does not allocate.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(hook);
    }
}

/// Watches one process for its exit, without reaping it.
#[derive(Debug)]
pub struct ExitWatch(AsyncFd<OwnedFd>);

impl ExitWatch {
    /// A watch on process `pid` (Linux 5.3 and later), registered with the
    /// current tokio runtime.
    ///
    /// # Errors
    /// When `pidfd_open` fails (no such process, or an older kernel) or
    /// the runtime cannot register the descriptor.
    pub fn new(pid: Pid) -> std::io::Result<Self> {
        let fd = pidfd_open(pid, PidfdFlags::NONBLOCK)?;
        // SAFETY: `register` asks that the descriptor stay open and the
        // same for the life of the `AsyncFd`: an `OwnedFd` is closed only
        // when dropped, which the `AsyncFd` that owns it does last, and its
        // `as_raw_fd` always returns that one descriptor.
        #[allow(unsafe_code)]
        let fd = unsafe { AsyncFd::register(fd) }.map_err(std::io::Error::from)?;
        Ok(Self(fd))
    }

    /// Resolves once the process has exited (it stays a zombie until its
    /// parent reaps it).
    ///
    /// # Errors
    /// When the runtime's reactor fails.
    pub async fn exited(&self) -> std::io::Result<()> {
        self.0.readable().await.map(|_| ())
    }
}

/// Sets `resource` to soft limit `soft` and hard limit `hard`, each no
/// higher than the current hard limit (which only a privileged process
/// could raise).
fn lower(resource: Resource, soft: u64, hard: u64) -> std::io::Result<()> {
    let now = getrlimit(resource);
    let cap = |value: u64| Some(now.maximum.map_or(value, |max| value.min(max)));
    setrlimit(
        resource,
        Rlimit {
            current: cap(soft.min(hard)),
            maximum: cap(hard),
        },
    )
    .map_err(std::io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits_of(command: &mut std::process::Command) -> String {
        let out = command.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn the_child_runs_with_the_limits_and_the_parent_keeps_its_own() {
        let before = std::fs::read_to_string("/proc/self/limits").unwrap();
        let mut command = std::process::Command::new("/bin/cat");
        command.arg("/proc/self/limits");
        limit(
            &mut command,
            ChildLimits {
                cpu_seconds: 7,
                address_space_bytes: 512 << 20,
                processes: 321,
            },
        );
        let seen = limits_of(&mut command);
        let line = |name: &str| {
            seen.lines()
                .find(|l| l.starts_with(name))
                .unwrap_or_default()
                .split_whitespace()
                .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(line("Max cpu time"), "7 8", "{seen}");
        assert_eq!(line("Max address space"), "536870912 536870912", "{seen}");
        assert_eq!(line("Max processes"), "321 321", "{seen}");
        assert_eq!(line("Max core file size"), "0 0", "{seen}");
        assert_eq!(
            std::fs::read_to_string("/proc/self/limits").unwrap(),
            before
        );
    }
}
