//! The repository config: one sealed JSON file, `config`, written once at `init`.

use serde::{Deserialize, Serialize};

use crate::chunk::ChunkerParams;
use crate::error::{Error, Result};

/// The newest config version this build reads and writes.
pub const CONFIG_VERSION: u32 = 1;

/// Settings fixed for the life of a repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Format version of the repository.
    pub version: u32,
    /// Random repository id (64 hex characters); names the local cache.
    pub id: String,
    /// FastCDC sizes.
    pub chunker: ChunkerParams,
    /// Target size of a pack file in bytes.
    pub pack_size: u32,
    /// zstd level used when a blob is compressed.
    pub compression_level: i32,
}

impl Config {
    /// Refuses configs this build cannot honour.
    pub fn check_supported(&self) -> Result<()> {
        if self.version > CONFIG_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "repository config".into(),
                found: self.version,
                supported: CONFIG_VERSION,
            });
        }
        self.chunker.validate().map_err(Error::InvalidArgument)?;
        if !(1024 * 1024..=1024 * 1024 * 1024).contains(&self.pack_size) {
            return Err(Error::InvalidArgument(format!(
                "pack size {} is outside 1 MiB..1 GiB",
                self.pack_size
            )));
        }
        Ok(())
    }
}
