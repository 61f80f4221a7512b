//! The repository config: one sealed JSON file, `config`, written once at `init`.

use serde::{Deserialize, Serialize};

use crate::chunk::{ChunkerParams, ChunkingScheme};
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
    /// Where chunk boundaries may fall (SPEC §12.5). Absent in configs written before
    /// schemes existed, which are plain; left out when plain, so a plain config keeps the
    /// bytes it always had.
    #[serde(default, skip_serializing_if = "ChunkingScheme::is_plain")]
    pub chunking: ChunkingScheme,
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
        if let ChunkingScheme::Unknown(name) = &self.chunking {
            return Err(Error::UnsupportedChunking { name: name.clone() });
        }
        self.check_values().map_err(|why| {
            Error::damaged(
                "config",
                Damage::Malformed(crate::Malformed::ConfigValue(why)),
            )
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(chunking: ChunkingScheme) -> Config {
        Config {
            version: 1,
            id: "ab".repeat(32),
            chunker: ChunkerParams::default(),
            pack_size: 16 << 20,
            compression_level: 3,
            chunking,
        }
    }

    #[test]
    fn a_config_without_a_chunking_scheme_is_plain_and_a_plain_one_is_written_without_it() {
        let old = r#"{"version":1,"id":"x","chunker":{"min_size":65536,"avg_size":262144,"max_size":1048576},"pack_size":16777216,"compression_level":3}"#;
        let config: Config = serde_json::from_str(old).unwrap();
        assert_eq!(config.chunking, ChunkingScheme::Plain);
        let plain = serde_json::to_string(&sample(ChunkingScheme::Plain)).unwrap();
        assert!(!plain.contains("chunking"), "{plain}");
        let container = serde_json::to_string(&sample(ChunkingScheme::Container)).unwrap();
        assert!(
            container.ends_with(r#","chunking":"container"}"#),
            "{container}"
        );
        let back: Config = serde_json::from_str(&container).unwrap();
        assert_eq!(back.chunking, ChunkingScheme::Container);
    }

    #[test]
    fn an_unknown_chunking_scheme_is_refused_as_too_new_not_as_damage() {
        let config = sample(ChunkingScheme::Unknown("container-v9".into()));
        match config.check_supported() {
            Err(Error::UnsupportedChunking { name }) => assert_eq!(name, "container-v9"),
            other => panic!("{other:?}"),
        }
        assert!(sample(ChunkingScheme::Container).check_supported().is_ok());
    }
}
