//! # photovault-serve
//!
//! The web viewer of a photovault repository, as `pvault serve` runs it: an HTTP server
//! (axum) and a single-page app embedded in the binary (plain HTML, CSS and JavaScript in
//! `assets/`, no build step), over the core's [`browse`](photovault_core::browse) and
//! [`serve`](photovault_core::serve) layers.
//!
//! Safe by default: it listens on loopback unless told otherwise; every request must carry
//! the random token of the URL printed at start (the page keeps it in a cookie); a
//! non-loopback address needs a password as well (HTTP basic authentication); paths in
//! requests are checked before any tree is read; the only write, restoring a selection,
//! takes a CSRF token and never replaces a file; every response has a content type and a
//! strict `Content-Security-Policy`; errors are short pages, never a stack trace.
//!
//! ```no_run
//! # fn run(repo: photovault_core::Repository) -> Result<(), photovault_serve::StartError> {
//! let server = photovault_serve::start(repo.to_indexed()?, photovault_serve::ServeOptions::default())?;
//! println!("open {}", server.url());
//! server.wait();
//! # Ok(()) }
//! ```

mod api;
mod auth;
mod errors;
mod files;
mod pages;
mod state;
mod stream;

use std::net::SocketAddr;
use std::sync::Arc;

use photovault_core::browse::{BrowseOptions, Browser};
use photovault_core::IndexedRepository;

pub use auth::Access;

/// How to serve.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeOptions {
    /// Where to listen (default `127.0.0.1:8080`; port 0 picks a free one).
    pub listen: SocketAddr,
    /// Show only this snapshot (`latest`, an id or its prefix); default: all of them.
    pub snapshot: Option<String>,
    /// The token every request must carry (default: 128 random bits).
    pub token: Option<String>,
    /// A password asked by the browser (HTTP basic authentication) as well; required to
    /// listen on an address other than loopback.
    pub password: Option<String>,
    /// Bytes of decrypted blobs kept in memory (default 128 MiB).
    pub cache_size: u64,
    /// Bytes of thumbnails kept in memory (default 64 MiB).
    pub thumbnail_cache: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            snapshot: None,
            token: None,
            password: None,
            cache_size: 128 << 20,
            thumbnail_cache: 64 << 20,
        }
    }
}

impl ServeOptions {
    /// Sets the address to listen on.
    pub fn listen(mut self, address: SocketAddr) -> Self {
        self.listen = address;
        self
    }

    /// Shows only one snapshot.
    pub fn snapshot(mut self, spec: impl Into<String>) -> Self {
        self.snapshot = Some(spec.into());
        self
    }

    /// Sets the token instead of a random one.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Asks for a password as well.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Sets the blob cache size in bytes.
    pub fn cache_size(mut self, bytes: u64) -> Self {
        self.cache_size = bytes;
        self
    }
}

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A non-loopback address without a password.
    #[error("refusing to listen on {0}, which is not a loopback address, without a password: set one (PVAULT_SERVE_PASSWORD or --password-file), or listen on 127.0.0.1")]
    PasswordRequired(SocketAddr),
    /// A token too short to guess-proof the server.
    #[error("the token must be at least 16 characters of letters, digits, '-' or '_'")]
    WeakToken,
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The repository could not be read (index, snapshots).
    #[error(transparent)]
    Repository(#[from] photovault_core::Error),
}

/// A running server. Dropping it stops it.
pub struct Server {
    url: String,
    address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// A shared lock for as long as the server runs, as a mount holds one: prune cannot
    /// remove data a page shows (none with `OpenOptions::no_lock`).
    _lock: Option<photovault_core::LockGuard>,
}

impl Server {
    /// The URL to open, with the token.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Blocks until the server stops (it only stops when [`Server::stop`] is called from
    /// elsewhere or the process ends).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Stops serving, letting requests under way finish.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

/// Starts serving `repo` on a thread of its own; returns once it listens.
pub fn start(repo: IndexedRepository, options: ServeOptions) -> Result<Server, StartError> {
    let access = Access::new(&options)?;
    let lock = repo.lock_for_reading()?;
    let browse = BrowseOptions::default().cache_size(options.cache_size);
    let browser = Browser::new(&repo, &browse)?;
    let state = Arc::new(state::State::new(browser, &options, access)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(16)
        .enable_all()
        .thread_name("pvault-serve")
        .build()
        .map_err(|source| StartError::Listen {
            address: options.listen,
            source,
        })?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(options.listen))
        .map_err(|source| StartError::Listen {
            address: options.listen,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| StartError::Listen {
        address: options.listen,
        source,
    })?;
    state.access.set_port(address.port());
    let url = format!(
        "http://{}/?token={}",
        shown_host(address),
        state.access.token()
    );
    let app = api::router(state);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("pvault-serve".into())
        .spawn(move || {
            runtime.block_on(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        })
        .map_err(|source| StartError::Listen { address, source })?;
    Ok(Server {
        url,
        address,
        shutdown: Some(tx),
        thread: Some(thread),
        _lock: lock,
    })
}

/// The host part of the URL: `127.0.0.1:8080`, `[::1]:8080`.
fn shown_host(address: SocketAddr) -> String {
    match address {
        SocketAddr::V4(a) if a.ip().is_unspecified() => format!("127.0.0.1:{}", a.port()),
        SocketAddr::V6(a) if a.ip().is_unspecified() => format!("[::1]:{}", a.port()),
        other => other.to_string(),
    }
}
