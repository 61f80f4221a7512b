//! The tokio runtimes network backends block on.
//!
//! HTTP services (S3, WebDAV, ...) share one runtime for the life of the process: opendal's
//! HTTP client pools connections process-wide, and a connection must not outlive the
//! runtime that drives it.
//!
//! SFTP gets a runtime of its own, shut down when its backend is dropped. opendal's SFTP
//! service starts an `ssh` control master per connection (`ControlPersist=yes`) and tells it
//! to exit only when the task holding the session is dropped. On a runtime that lives until
//! the process ends that never happens before exit, and every run left its `ssh` masters
//! behind. Shutting the backend's own runtime down drops those tasks, which closes the
//! masters, before the backend is gone.

use std::time::Duration;

use tokio::runtime::Runtime;

/// How long a closing SFTP backend waits for its connections' tasks to stop.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);

/// The runtime one backend's calls run on.
pub(super) enum BackendRuntime {
    /// The process-wide runtime.
    Shared(&'static Runtime),
    /// The backend's own, shut down with it. `None` only while dropping.
    Own(Option<Runtime>),
}

impl BackendRuntime {
    /// The runtime for an opendal `service`.
    pub(super) fn for_service(service: &str) -> crate::Result<Self> {
        if service == "sftp" {
            Ok(BackendRuntime::Own(Some(build()?)))
        } else {
            Ok(BackendRuntime::Shared(shared()?))
        }
    }

    pub(super) fn get(&self) -> &Runtime {
        match self {
            BackendRuntime::Shared(runtime) => runtime,
            BackendRuntime::Own(runtime) => runtime.as_ref().expect("runtime in use"),
        }
    }
}

impl Drop for BackendRuntime {
    fn drop(&mut self) {
        if let BackendRuntime::Own(runtime) = self {
            if let Some(runtime) = runtime.take() {
                runtime.shutdown_timeout(SHUTDOWN_WAIT);
            }
        }
    }
}

fn shared() -> crate::Result<&'static Runtime> {
    static RUNTIME: std::sync::OnceLock<Runtime> = std::sync::OnceLock::new();
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = build()?;
    Ok(RUNTIME.get_or_init(|| runtime))
}

fn build() -> crate::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("pvault-net")
        .enable_all()
        .build()
        .map_err(|e| crate::Error::Internal {
            what: format!("cannot start the network runtime: {e}"),
        })
}
