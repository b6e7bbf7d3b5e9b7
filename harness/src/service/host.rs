//! A service benchmark's server on the host: started with the host launcher (same
//! environment, directory and CPUs as a host run) in its own process group, which is
//! killed when the server is dropped or the run is interrupted.

use std::process::Child;
use std::time::{Duration, Instant};

use calibench_suites::Benchmark;

use crate::launch::{file_tail, track_server, untrack_server, LaunchError, Launcher};

/// A running server process.
pub struct HostServer {
    child: Child,
    pgid: i32,
    stderr: std::fs::File,
    stopped: bool,
}

impl HostServer {
    /// Starts `argv` for `bench`.
    pub fn start(
        launcher: &mut dyn Launcher,
        bench: &Benchmark,
        argv: &[String],
    ) -> Result<Self, LaunchError> {
        let stderr = tempfile::tempfile()?;
        let child = launcher.start_server(bench, argv, stderr.try_clone()?)?;
        let pgid = child.id() as i32;
        track_server(pgid);
        Ok(Self {
            child,
            pgid,
            stderr,
            stopped: false,
        })
    }

    /// `Err` with the exit status and the stderr tail once the server has exited.
    pub fn check_alive(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "the server exited ({status}); stderr: {}",
                self.stderr_tail()
            )),
            Err(e) => Err(format!("cannot check the server: {e}")),
        }
    }

    fn stderr_tail(&mut self) -> String {
        file_tail(&mut self.stderr, 1024)
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// SIGTERM to the group, SIGKILL after a second if it is still there.
    pub fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        // SAFETY: killpg with a positive pgid has no memory-safety preconditions.
        unsafe { libc::killpg(self.pgid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // SAFETY: as above; stragglers of the group go too.
        unsafe { libc::killpg(self.pgid, libc::SIGKILL) };
        let _ = self.child.wait();
        untrack_server(self.pgid);
    }
}

impl Drop for HostServer {
    fn drop(&mut self) {
        self.stop();
    }
}
