//! The repository config: one sealed JSON file, `config`, written once at `init`.

use serde::{Deserialize, Serialize};

use crate::chunk::ChunkerParams;
use crate::error::{Damage, Error, Result};

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

/// The zstd levels a config may name: zstd's fast levels down to −7, and its standard ones.
pub const COMPRESSION_LEVELS: std::ops::RangeInclusive<i32> = -7..=22;

impl Config {
    /// Refuses configs this build cannot honour: a newer version is "upgrade photovault",
    /// values out of range are damage (a stored config no writer produces).
    pub fn check_supported(&self) -> Result<()> {
        if self.version > CONFIG_VERSION {
            return Err(Error::UnsupportedVersion {
                what: "repository config".into(),
                found: self.version,
                supported: CONFIG_VERSION,
            });
        }
        self.check_values()
            .map_err(|why| Error::damaged("config", Damage::Malformed(why)))
    }

    /// Why the settings are not valid (SPEC §5), if they are not: for `init` to refuse bad
    /// options and for readers to refuse a damaged config.
    pub fn check_values(&self) -> std::result::Result<(), String> {
        self.chunker.validate()?;
        if !(1024 * 1024..=1024 * 1024 * 1024).contains(&self.pack_size) {
            return Err(format!(
                "pack size {} is outside 1 MiB..1 GiB",
                self.pack_size
            ));
        }
        if !COMPRESSION_LEVELS.contains(&self.compression_level) {
            return Err(format!(
                "compression level {} is outside {}..={}",
                self.compression_level,
                COMPRESSION_LEVELS.start(),
                COMPRESSION_LEVELS.end()
            ));
        }
        Ok(())
    }
}
