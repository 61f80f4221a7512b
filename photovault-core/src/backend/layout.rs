//! Where each object lives: the one naming scheme every backend stores under.
//!
//! A repository is the same tree of names in a folder, a bucket or on an SFTP server, so
//! that it can be copied between them with ordinary tools (`cp -r`, `rclone`) and still be
//! a repository. Backends turn an object's kind and name into a key with [`object_key`] and
//! list a kind's objects below [`folders`]; none invents a layout of its own (SPEC §2.1).

use super::FileKind;

/// The key of an object, relative to the repository's root, with `/` between folders:
/// `config`, `keys/<name>`, `snapshots/<name>`, `index/<name>`, `locks/<name>`, and packs
/// spread over 256 folders by their first two characters, `data/<name[..2]>/<name>`.
pub fn object_key(kind: FileKind, name: &str) -> String {
    match kind {
        FileKind::Config => "config".to_string(),
        FileKind::Pack => format!("data/{}/{name}", name.get(..2).unwrap_or("__")),
        _ => format!("{}/{name}", kind.dir()),
    }
}

/// The folders (relative to the root) that hold the objects of `kind`: one for most kinds,
/// the 256 `data/XX` folders for packs, none for the config (a file at the root).
pub fn folders(kind: FileKind) -> Vec<String> {
    match kind {
        FileKind::Config => Vec::new(),
        FileKind::Pack => (0..=255u8).map(|p| format!("data/{p:02x}")).collect(),
        _ => vec![kind.dir().to_string()],
    }
}

/// Every folder a new repository has: what `Backend::create` makes where a store has
/// folders at all.
pub fn all_folders() -> Vec<String> {
    let mut out: Vec<String> = FileKind::FOLDERS
        .iter()
        .map(|k| k.dir().to_string())
        .collect();
    out.extend(folders(FileKind::Pack));
    out
}

/// Whether `name` can be an object's name (64 hex characters, or `config`). Anything else
/// a listing finds (temporary files of unfinished writes, foreign files) is not an object.
pub fn is_object_name(kind: FileKind, name: &str) -> bool {
    match kind {
        FileKind::Config => name == "config",
        _ => name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_place() {
        let name = "ab".repeat(32);
        assert_eq!(object_key(FileKind::Config, "config"), "config");
        assert_eq!(object_key(FileKind::Key, &name), format!("keys/{name}"));
        assert_eq!(
            object_key(FileKind::Snapshot, &name),
            format!("snapshots/{name}")
        );
        assert_eq!(object_key(FileKind::Index, &name), format!("index/{name}"));
        assert_eq!(object_key(FileKind::Lock, &name), format!("locks/{name}"));
        assert_eq!(object_key(FileKind::Pack, &name), format!("data/ab/{name}"));
    }

    #[test]
    fn packs_are_spread_over_256_folders() {
        let folders = folders(FileKind::Pack);
        assert_eq!(folders.len(), 256);
        assert_eq!(folders[0], "data/00");
        assert_eq!(folders[255], "data/ff");
        assert_eq!(all_folders().len(), 5 + 256);
    }

    #[test]
    fn only_hex_ids_and_the_config_are_object_names() {
        assert!(is_object_name(FileKind::Pack, &"0f".repeat(32)));
        assert!(is_object_name(FileKind::Config, "config"));
        assert!(!is_object_name(FileKind::Pack, &"0F".repeat(32)));
        assert!(!is_object_name(FileKind::Key, ".tmp-0123456789abcdef"));
        assert!(!is_object_name(FileKind::Key, &"0f".repeat(31)));
    }
}
