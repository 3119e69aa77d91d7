//! The `quotebot telegram` binary as a child process: its output read as it comes (so a
//! chatty bot never blocks on a full pipe), signals, its memory, its exit.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running bot.
pub struct BotProcess {
    child: Child,
    output: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    /// A folder that lives as long as the bot (its corpus, config and database).
    _dir: Option<tempfile::TempDir>,
}

impl BotProcess {
    /// Starts `quotebot telegram` in `dir` (its `corpus/` and `config/` are used) against
    /// the Bot API at `api_url`, with `token` (none: `TELOXIDE_TOKEN` unset).
    pub fn spawn(dir: &Path, api_url: &str, token: Option<&str>) -> BotProcess {
        BotProcess::spawn_with(dir, api_url, token, None)
    }

    /// [`BotProcess::spawn`] with `RUST_LOG` set to `log`.
    pub fn spawn_with(
        dir: &Path,
        api_url: &str,
        token: Option<&str>,
        log: Option<&str>,
    ) -> BotProcess {
        BotProcess::spawn_args(dir, api_url, token, log, &[])
    }

    /// [`BotProcess::spawn_with`] with `args` after `quotebot telegram`.
    pub fn spawn_args(
        dir: &Path,
        api_url: &str,
        token: Option<&str>,
        log: Option<&str>,
        args: &[&str],
    ) -> BotProcess {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_quotebot"));
        cmd.arg("telegram")
            .args(args)
            .current_dir(dir)
            .env("TELOXIDE_API_URL", api_url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match log {
            Some(l) => cmd.env("RUST_LOG", l),
            None => cmd.env_remove("RUST_LOG"),
        };
        match token {
            Some(t) => cmd.env("TELOXIDE_TOKEN", t),
            None => cmd.env_remove("TELOXIDE_TOKEN"),
        };
        let mut child = cmd.spawn().expect("quotebot starts");
        let output = Arc::new(Mutex::new(String::new()));
        let mut readers = Vec::new();
        let streams: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().unwrap()),
            Box::new(child.stderr.take().unwrap()),
        ];
        for mut stream in streams {
            let output = Arc::clone(&output);
            readers.push(std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    output
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }));
        }
        BotProcess {
            child,
            output,
            readers,
            _dir: None,
        }
    }

    /// Keeps `dir` until the bot is dropped.
    pub fn keeping(mut self, dir: tempfile::TempDir) -> BotProcess {
        self._dir = Some(dir);
        self
    }

    /// Its output so far (stdout and stderr).
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Sends a signal (`INT`, `TERM`).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }
}

/// A temporary folder for a bot: `files` (name, text) under `corpus/`, and `config`, when
/// given, as `config/quotebot.toml`.
pub fn bot_folder(files: &[(&str, &str)], config: Option<&str>) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("corpus")).unwrap();
    for (name, text) in files {
        std::fs::write(tmp.path().join("corpus").join(name), text).unwrap();
    }
    if let Some(config) = config {
        std::fs::create_dir_all(tmp.path().join("config")).unwrap();
        std::fs::write(tmp.path().join("config/quotebot.toml"), config).unwrap();
    }
    tmp
}

/// A temporary copy of the repository's `corpus/` and `config/`, for a bot whose database
/// (`data/`) must not land in the source tree.
pub fn copy_of_repo() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy(&repo.join("corpus"), &tmp.path().join("corpus"));
    copy(&repo.join("config"), &tmp.path().join("config"));
    tmp
}

impl BotProcess {
    /// Its resident memory in KiB (Linux), if it can be read.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Waits for it to exit (panics after `timeout`); its status and all its output.
    pub async fn wait_exit(mut self, timeout: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                for r in self.readers.drain(..) {
                    let _ = r.join();
                }
                return (status, self.output());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the bot did not stop within {timeout:?}:\n{}",
                    self.output()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        // A test that failed midway must not leave a bot running.
        let _ = self.child.kill();
    }
}
