//! `command` connections: one program on the host that granted actions may
//! run through the WIT `command` interface, with arguments an admin fixed.
//!
//! No shell is ever involved: the program is started directly with an
//! argument vector built from the connection's template, where a guest
//! only fills named slots, each value checked against the slot's pattern
//! and passed as (part of) one argv entry, whatever characters it holds.
//! The environment is exactly the connection's `env`; the child runs in a
//! process group of its own, which is killed whole however the run ends —
//! the program exiting, the deadline, output past its limit, a pipe error,
//! or the guest's instance dropped mid-run — so nothing it started lives
//! on; and it runs with resource limits on CPU time, address space and
//! processes ([`sluice_guard::child`]).

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use regex::Regex;
use serde::{Deserialize, Serialize};
use sluice_guard::child::{ChildLimits, ExitWatch};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// Config of a `command` connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandConfig {
    /// The executable: an absolute path to an existing file.
    pub program: String,
    /// The argument template: fixed strings and `{slot}` placeholders
    /// (`["--city", "{city}"]`, `["--city={city}"]`); `{{` and `}}` stand
    /// for literal braces.
    #[serde(default)]
    pub args: Vec<String>,
    /// Each slot's allowed values: a regular expression the whole value
    /// must match (`"^[A-Za-z ]{1,40}$"`). Every slot the template names
    /// needs one, and a guest must fill every slot.
    #[serde(default)]
    pub slots: BTreeMap<String, String>,
    /// The child's whole environment (nothing is inherited). Its values
    /// are secrets (an API key for the tool): write-only in the admin API,
    /// and an update that leaves `env` out keeps the stored one only while
    /// `program` stays the same ([`Self::keep_secrets_from`]). `None` is
    /// an empty environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, String>>,
    /// The working directory: an absolute path (default `/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// How long the program may run, ms (default 5 000, at most 300 000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// The most bytes of stdout, and of stderr, kept (default 1 MiB); more
    /// kills the program.
    #[serde(default = "default_max_output_bytes")]
    pub max_output_bytes: u64,
    /// CPU seconds the program, and each process it starts, may use
    /// (`RLIMIT_CPU`); past them it is killed and the call fails. Default:
    /// the deadline rounded up to whole seconds, i.e. one core for the
    /// whole run; at most 3 600.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cpu_seconds: Option<u64>,
    /// Bytes of virtual address space the program, and each process it
    /// starts, may map (`RLIMIT_AS`); an allocation past it fails (default
    /// [`DEFAULT_MAX_MEMORY_BYTES`], 16 MiB to 1 TiB).
    #[serde(default = "default_max_memory_bytes")]
    pub max_memory_bytes: u64,
    /// Processes and threads the server's user may have when the program
    /// starts another (`RLIMIT_NPROC`, which counts per user, the server's
    /// own threads included; not applied to root). Default
    /// [`DEFAULT_MAX_PROCESSES`], 1 to 65 536.
    #[serde(default = "default_max_processes")]
    pub max_processes: u64,
}

/// Default `max_memory_bytes`: 4 GiB of address space, which ordinary
/// tools (Python, jq, curl, ImageMagick) stay far below while the largest
/// reservations — a JVM sizing its heap to the machine, V8's cages — may
/// need more, set per connection.
pub const DEFAULT_MAX_MEMORY_BYTES: u64 = 4 << 30;

/// Default `max_processes`: room for a few hundred server threads (tokio's
/// blocking pool alone may grow to 512) and for the tools a program runs,
/// while a fork bomb stops at a bounded count.
pub const DEFAULT_MAX_PROCESSES: u64 = 1024;

fn default_max_memory_bytes() -> u64 {
    DEFAULT_MAX_MEMORY_BYTES
}

fn default_max_processes() -> u64 {
    DEFAULT_MAX_PROCESSES
}

fn default_timeout_ms() -> u64 {
    5_000
}

fn default_max_output_bytes() -> u64 {
    1 << 20
}

/// Largest stdin a guest may pass, bytes.
pub const MAX_STDIN_BYTES: usize = 1 << 20;

/// Why a run failed; the host maps each to the WIT case of the same name.
#[derive(Debug, PartialEq, Eq)]
pub enum CommandError {
    /// A slot is unknown, missing, or its value does not match its pattern.
    InvalidArgument(String),
    /// The program ran past `timeout_ms` and was killed.
    Timeout,
    /// stdout or stderr passed `max_output_bytes` (given); the program was killed.
    OutputTooLarge(u64),
    /// The program could not be started.
    SpawnFailed(String),
    /// Reading or writing its pipes failed.
    Io(String),
    /// The program used up its CPU seconds (given) and was killed
    /// (`SIGXCPU`).
    CpuLimit(u64),
}

/// What a finished program left.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status; `None` when a signal ended it.
    pub status: Option<i32>,
    /// What it wrote to stdout.
    pub stdout: Vec<u8>,
    /// What it wrote to stderr.
    pub stderr: Vec<u8>,
}

/// One piece of an argument template.
enum Piece<'a> {
    Text(String),
    Slot(&'a str),
}

/// Splits `arg` into text and `{slot}` pieces.
fn pieces(arg: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = arg;
    while let Some(i) = rest.find(['{', '}']) {
        text.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            text.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            text.push('}');
            rest = after;
        } else if let Some(after) = tail.strip_prefix('{') {
            let end = after
                .find('}')
                .ok_or_else(|| format!("args: {arg:?} opens a slot it does not close"))?;
            out.push(Piece::Text(std::mem::take(&mut text)));
            out.push(Piece::Slot(&after[..end]));
            rest = &after[end + 1..];
        } else {
            return Err(format!(
                "args: {arg:?} has a lone }}; write }}}} for a brace"
            ));
        }
    }
    text.push_str(rest);
    out.push(Piece::Text(text));
    Ok(out)
}

fn anchored(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?:{pattern})$"))
}

impl CommandConfig {
    /// Checks the fields: the program exists, every slot in the template
    /// has a valid pattern and every pattern a slot, limits are in range.
    ///
    /// # Errors
    /// A message naming the offending field.
    pub fn validate(&self) -> Result<(), String> {
        let program = Path::new(&self.program);
        if !program.is_absolute() {
            return Err("program must be an absolute path (no PATH lookup, no shell)".into());
        }
        if !program.is_file() {
            return Err(format!(
                "program {:?} is not an existing file",
                self.program
            ));
        }
        let mut used = std::collections::BTreeSet::new();
        for arg in &self.args {
            for piece in pieces(arg)? {
                if let Piece::Slot(name) = piece {
                    if !self.slots.contains_key(name) {
                        return Err(format!("args: slot {{{name}}} has no pattern in slots"));
                    }
                    used.insert(name.to_string());
                }
            }
        }
        for (name, pattern) in &self.slots {
            if !used.contains(name) {
                return Err(format!("slots: {name:?} is not used in args"));
            }
            anchored(pattern).map_err(|e| format!("slots: {name:?}: {e}"))?;
        }
        if let Some(cwd) = &self.cwd
            && !(Path::new(cwd).is_absolute() && Path::new(cwd).is_dir())
        {
            return Err(format!(
                "cwd {cwd:?} is not an absolute path to a directory"
            ));
        }
        if !(1..=300_000).contains(&self.timeout_ms) {
            return Err("timeout_ms must be between 1 and 300000".into());
        }
        if !(1..=(64 << 20)).contains(&self.max_output_bytes) {
            return Err("max_output_bytes must be between 1 and 67108864".into());
        }
        if self
            .max_cpu_seconds
            .is_some_and(|s| !(1..=3_600).contains(&s))
        {
            return Err("max_cpu_seconds must be between 1 and 3600".into());
        }
        if !((16 << 20)..=(1 << 40)).contains(&self.max_memory_bytes) {
            return Err("max_memory_bytes must be between 16777216 (16 MiB) and \
                        1099511627776 (1 TiB)"
                .into());
        }
        if !(1..=65_536).contains(&self.max_processes) {
            return Err("max_processes must be between 1 and 65536".into());
        }
        Ok(())
    }

    /// Checks that the program is a file this server may execute.
    ///
    /// # Errors
    /// A message saying why not.
    pub fn test(&self) -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        let meta =
            std::fs::metadata(&self.program).map_err(|e| format!("{}: {e}", self.program))?;
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
            return Err(format!("{} is not an executable file", self.program));
        }
        Ok(())
    }

    /// Keeps the stored `env` when this config leaves it out (an update
    /// that did not restate it) and runs the same `program` (see
    /// [`super::ConnectionConfig::keep_secrets_from`]): values given for
    /// one program never flow silently to another.
    ///
    /// # Errors
    /// When `program` changed, `old` had variables and this config does
    /// not restate `env` (`{}` drops them).
    pub fn keep_secrets_from(&mut self, old: &CommandConfig) -> Result<(), String> {
        let stored = old.env.as_ref().filter(|env| !env.is_empty());
        let (None, Some(stored)) = (&self.env, stored) else {
            return Ok(());
        };
        if self.program != old.program {
            return Err(format!(
                "config.program changes which program receives the stored config.env values \
                 ({}): restate config.env in the same update (give {{}} to drop them), or \
                 leave config.program as it is to keep them",
                stored.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        self.env = Some(stored.clone());
        Ok(())
    }

    /// The config as the admin API shows it: `env` values are secrets (an
    /// API key for the tool, say), so only their names are shown, as
    /// `env_keys`.
    pub fn redacted(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(object) = value.as_object_mut() {
            object.remove("env");
            object.insert(
                "env_keys".into(),
                self.env
                    .iter()
                    .flatten()
                    .map(|(key, _)| key.clone())
                    .collect::<Vec<_>>()
                    .into(),
            );
        }
        value
    }

    /// The argument vector for the guest's slot values `given`.
    ///
    /// # Errors
    /// [`CommandError::InvalidArgument`] for an unknown slot, a missing
    /// one, a repeated one, or a value that does not match its pattern.
    pub fn argv(&self, given: &[(String, String)]) -> Result<Vec<String>, CommandError> {
        let invalid = |m: String| Err(CommandError::InvalidArgument(m));
        let mut values = BTreeMap::new();
        for (name, value) in given {
            let Some(pattern) = self.slots.get(name) else {
                return invalid(format!(
                    "there is no slot {name:?}; the slots are {:?}",
                    self.slots.keys().collect::<Vec<_>>()
                ));
            };
            if values.insert(name.as_str(), value.as_str()).is_some() {
                return invalid(format!("slot {name:?} is given twice"));
            }
            let matches = anchored(pattern).is_ok_and(|re| re.is_match(value));
            if !matches || value.contains('\0') {
                return invalid(format!(
                    "the value for slot {name:?} does not match its pattern {pattern:?}"
                ));
            }
        }
        let mut argv = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            let mut out = String::new();
            for piece in pieces(arg).map_err(CommandError::InvalidArgument)? {
                match piece {
                    Piece::Text(text) => out.push_str(&text),
                    Piece::Slot(name) => match values.get(name) {
                        Some(value) => out.push_str(value),
                        None => return invalid(format!("slot {name:?} is missing")),
                    },
                }
            }
            argv.push(out);
        }
        Ok(argv)
    }

    /// The resource limits the program runs with.
    pub fn limits(&self) -> ChildLimits {
        ChildLimits {
            cpu_seconds: self
                .max_cpu_seconds
                .unwrap_or_else(|| self.timeout_ms.div_ceil(1000)),
            address_space_bytes: self.max_memory_bytes,
            processes: self.max_processes,
        }
    }

    /// Runs the program with the slot values `given` and `stdin`, within
    /// its [`limits`](Self::limits). However this ends — the program
    /// exiting, an error, or the future dropped — its process group is
    /// killed before this returns.
    ///
    /// # Errors
    /// As [`CommandError`] describes.
    pub async fn run(
        &self,
        given: &[(String, String)],
        stdin: &[u8],
    ) -> Result<Finished, CommandError> {
        let argv = self.argv(given)?;
        if stdin.len() > MAX_STDIN_BYTES {
            return Err(CommandError::InvalidArgument(format!(
                "stdin is larger than {MAX_STDIN_BYTES} bytes"
            )));
        }
        let limits = self.limits();
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(&argv)
            .env_clear()
            .envs(self.env.iter().flatten())
            .current_dir(self.cwd.as_deref().unwrap_or("/"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        sluice_guard::child::limit(command.as_std_mut(), limits);
        let mut child = command
            .spawn()
            .map_err(|e| CommandError::SpawnFailed(format!("{}: {e}", self.program)))?;
        // Declared after `child`, so dropped before it: when this future is
        // dropped or returns early, the group is killed while its leader is
        // not yet reaped, so its id cannot name another group.
        let mut group = Group::of(&child);
        let mut input = child.stdin.take().expect("stdin is piped");
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let stdin = stdin.to_vec();
        let limit = self.max_output_bytes;
        let work = async {
            let feed = async move {
                // A program that does not read its input closes the pipe:
                // not an error.
                let _ = input.write_all(&stdin).await;
                drop(input);
                Ok(())
            };
            // The first stream over its limit ends the wait at once.
            let ((), out, err) =
                tokio::try_join!(feed, capped(stdout, limit), capped(stderr, limit))?;
            // What the program left running (a daemonised helper that
            // closed its output) goes with it.
            if group.leader_exited().await {
                group.kill();
            }
            let status = child
                .wait()
                .await
                .map_err(|e| CommandError::Io(e.to_string()))?;
            group.kill();
            if status.signal() == Some(rustix::process::Signal::XCPU.as_raw()) {
                return Err(CommandError::CpuLimit(limits.cpu_seconds));
            }
            Ok::<_, CommandError>(Finished {
                status: status.code(),
                stdout: out,
                stderr: err,
            })
        };
        tokio::time::timeout(Duration::from_millis(self.timeout_ms), work)
            .await
            .unwrap_or(Err(CommandError::Timeout))
    }
}

/// The process group of a running program (its id is the leader's pid):
/// killed whole when dropped, unless [`Group::kill`] did it already.
struct Group {
    id: Option<rustix::process::Pid>,
    /// Tells when the leader has exited, while its pid, not yet reaped,
    /// still holds the group's id.
    leader: Option<ExitWatch>,
}

impl Group {
    fn of(child: &tokio::process::Child) -> Self {
        let id = child
            .id()
            .and_then(|id| rustix::process::Pid::from_raw(i32::try_from(id).ok()?));
        // Linux 5.3 and later; without it the group is killed only after
        // the leader is reaped (see `run`).
        let leader = id.and_then(|pid| ExitWatch::new(pid).ok());
        Self { id, leader }
    }

    /// Waits until the leader has exited; `false` at once when that cannot
    /// be watched (no pidfd).
    async fn leader_exited(&self) -> bool {
        match &self.leader {
            Some(watch) => watch.exited().await.is_ok(),
            None => false,
        }
    }

    /// Kills every process of the group (the program and what it started),
    /// once.
    fn kill(&mut self) {
        // A group that is gone already makes this fail with ESRCH: fine.
        if let Some(id) = self.id.take() {
            let _ = rustix::process::kill_process_group(id, rustix::process::Signal::KILL);
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Everything `pipe` yields, or [`CommandError::OutputTooLarge`] past `limit` bytes.
async fn capped(pipe: impl AsyncRead + Unpin, limit: u64) -> Result<Vec<u8>, CommandError> {
    let mut bytes = Vec::new();
    pipe.take(limit + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| CommandError::Io(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(CommandError::OutputTooLarge(limit));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str], slots: &[(&str, &str)]) -> CommandConfig {
        CommandConfig {
            program: "/bin/echo".into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            slots: slots
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            env: None,
            cwd: None,
            timeout_ms: 1000,
            max_output_bytes: 1024,
            max_cpu_seconds: None,
            max_memory_bytes: DEFAULT_MAX_MEMORY_BYTES,
            max_processes: DEFAULT_MAX_PROCESSES,
        }
    }

    #[test]
    fn slots_fill_whole_or_partial_arguments_and_braces_can_be_literal() {
        let c = config(
            &["--city={city}", "{n}", "{{x}}"],
            &[("city", "[a-z ]+"), ("n", r"\d+")],
        );
        c.validate().unwrap();
        let argv = c
            .argv(&[("city".into(), "new york".into()), ("n".into(), "3".into())])
            .unwrap();
        assert_eq!(argv, ["--city=new york", "3", "{x}"]);
    }

    #[test]
    fn a_value_must_match_its_whole_pattern_and_every_slot_must_be_filled() {
        let c = config(&["{n}"], &[("n", r"\d+")]);
        for given in [
            vec![("n".to_string(), "1; rm -rf /".to_string())],
            vec![],
            vec![("m".to_string(), "1".to_string())],
            vec![
                ("n".to_string(), "1".to_string()),
                ("n".to_string(), "2".to_string()),
            ],
        ] {
            assert!(
                matches!(c.argv(&given), Err(CommandError::InvalidArgument(_))),
                "{given:?}"
            );
        }
    }

    #[test]
    fn templates_with_unknown_or_unused_slots_are_refused() {
        assert!(config(&["{x}"], &[]).validate().is_err());
        assert!(config(&["a"], &[("x", ".*")]).validate().is_err());
        assert!(config(&["{x"], &[("x", ".*")]).validate().is_err());
        assert!(config(&["{x}"], &[("x", "(")]).validate().is_err());
    }
}
