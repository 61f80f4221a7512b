//! What every request shares: the browser (and its blob cache), the snapshots, catalogs
//! built on first use (a few kept), the thumbnail cache, and the access rules.

use std::sync::{Arc, Mutex};

use photovault_core::browse::Browser;
use photovault_core::serve::{Catalog, ThumbnailCache};
use photovault_core::{SnapshotEntry, SnapshotId};
use tokio::sync::{OnceCell, Semaphore};

use crate::auth::Access;
use crate::errors::Failure;
use crate::{ServeOptions, StartError};

/// Catalogs kept in memory at once (each holds one node per photo).
const CATALOGS_KEPT: usize = 4;

/// A snapshot's catalog, made once by the first request that needs it.
type CatalogSlot = Arc<OnceCell<Arc<Catalog>>>;

pub(crate) struct State {
    pub browser: Browser,
    pub access: Access,
    /// The snapshots shown, oldest first.
    pub snapshots: Vec<SnapshotEntry>,
    catalogs: Mutex<Vec<(SnapshotId, CatalogSlot)>>,
    pub thumbnails: ThumbnailCache,
    /// Thumbnails made at once: one per core, so scrolling does not starve other requests.
    pub making_thumbnails: Semaphore,
}

impl State {
    pub fn new(
        browser: Browser,
        options: &ServeOptions,
        access: Access,
    ) -> Result<State, StartError> {
        let repo = browser.repository();
        let snapshots = match &options.snapshot {
            Some(spec) => vec![repo.find_snapshot(spec)?],
            None => repo.snapshots()?,
        };
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(State {
            browser,
            access,
            snapshots,
            catalogs: Mutex::new(Vec::new()),
            thumbnails: ThumbnailCache::new(options.thumbnail_cache),
            making_thumbnails: Semaphore::new(cores),
        })
    }

    /// The snapshot a request names: its full id, or `latest`.
    pub fn snapshot(&self, spec: &str) -> Result<&SnapshotEntry, Failure> {
        let found = if spec == "latest" {
            self.snapshots.last()
        } else {
            self.snapshots.iter().find(|s| s.id.to_hex() == spec)
        };
        found.ok_or_else(|| {
            Failure::new(
                axum::http::StatusCode::NOT_FOUND,
                format!(
                    "no snapshot '{}' is served",
                    spec.chars().take(80).collect::<String>()
                ),
            )
        })
    }

    /// The catalog of a snapshot, built once (on a blocking thread) and kept.
    pub async fn catalog(&self, entry: &SnapshotEntry) -> Result<Arc<Catalog>, Failure> {
        let cell = {
            let mut catalogs = self.catalogs.lock().unwrap_or_else(|e| e.into_inner());
            match catalogs.iter().position(|(id, _)| *id == entry.id) {
                Some(i) => {
                    let kept = catalogs.remove(i);
                    let cell = kept.1.clone();
                    catalogs.push(kept);
                    cell
                }
                None => {
                    let cell = Arc::new(OnceCell::new());
                    catalogs.push((entry.id, cell.clone()));
                    if catalogs.len() > CATALOGS_KEPT {
                        catalogs.remove(0);
                    }
                    cell
                }
            }
        };
        let browser = self.browser.clone();
        let (id, tree) = (entry.id, entry.snapshot.tree);
        let catalog = cell
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || Arc::new(Catalog::build(&browser, id, &tree)))
                    .await
            })
            .await?;
        Ok(catalog.clone())
    }
}
