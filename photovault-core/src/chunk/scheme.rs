//! [`ChunkingScheme`]: where a repository's chunk boundaries may fall, recorded in its config.
//!
//! Cut points decide deduplication, so every writer of a repository must cut as the
//! repository was cut before: the scheme is fixed at `init` and recorded in the config
//! (SPEC §5, §12.5). A config without the field was written before schemes existed and is
//! plain; a name this build does not know stops the repository from opening, since writing
//! with another scheme would quietly stop new backups from deduplicating against old ones.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How files are cut into chunks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum ChunkingScheme {
    /// FastCDC over the whole file (SPEC §12.1-12.3): every repository made before schemes
    /// existed, and those made with `--chunking plain`.
    #[default]
    Plain,
    /// The file is first split where its container separates metadata from media (JPEG,
    /// PNG, TIFF-based RAW, ISO-BMFF), then each part is cut by FastCDC on its own
    /// (SPEC §12.5): a metadata edit costs the metadata, not the first chunks of the image.
    Container,
    /// A scheme a newer photovault wrote; the repository is refused.
    Unknown(String),
}

impl ChunkingScheme {
    /// The name recorded in the config and given to `pvault init --chunking`.
    pub fn name(&self) -> &str {
        match self {
            ChunkingScheme::Plain => "plain",
            ChunkingScheme::Container => "container",
            ChunkingScheme::Unknown(name) => name,
        }
    }

    /// What a new repository gets unless told otherwise.
    pub fn for_new_repositories() -> Self {
        ChunkingScheme::Container
    }

    /// Whether the config leaves the field out (plain configs keep their old bytes).
    pub fn is_plain(&self) -> bool {
        *self == ChunkingScheme::Plain
    }
}

impl fmt::Display for ChunkingScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ChunkingScheme {
    type Err = String;

    /// `plain` or `container`; anything else is refused (unknown names come only from configs).
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "plain" => Ok(ChunkingScheme::Plain),
            "container" => Ok(ChunkingScheme::Container),
            other => Err(format!(
                "unknown chunking scheme {other:?}: choose plain or container"
            )),
        }
    }
}

impl Serialize for ChunkingScheme {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ChunkingScheme {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(name.parse().unwrap_or(ChunkingScheme::Unknown(name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_kept() {
        for scheme in [ChunkingScheme::Plain, ChunkingScheme::Container] {
            let json = serde_json::to_string(&scheme).unwrap();
            assert_eq!(json, format!("\"{}\"", scheme.name()));
            assert_eq!(
                serde_json::from_str::<ChunkingScheme>(&json).unwrap(),
                scheme
            );
        }
        assert_eq!(
            serde_json::from_str::<ChunkingScheme>("\"container-v9\"").unwrap(),
            ChunkingScheme::Unknown("container-v9".into())
        );
        assert!("Container".parse::<ChunkingScheme>().is_err());
    }
}
