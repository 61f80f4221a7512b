//! `status`: is every photo safe? Answered from the snapshots' metadata alone, without
//! reading a byte of file contents, so that it is quick enough to run every hour.
//!
//! The files are those of the newest snapshot of the profile (its host and paths) in the
//! primary repository (or, when the primary cannot be read, the newest in any). A file has
//! a copy in a repository when some snapshot of the profile there holds a file at the same
//! path with the same size and modification time: the identity `backup` itself uses to
//! skip unchanged files. (Chunk ids would not do: repositories created apart name the same
//! content differently.) The original counts as a copy, on the source's medium, while the
//! file on disk still has that size and time (one `stat`, no read). A repository counts as
//! off-site only while its newest snapshot of the profile is younger than
//! `offsite-max-age`, so a cloud repository that silently stopped receiving copies stops
//! counting.
//!
//! The rule holds when every file has at least `copies` copies on at least `media` kinds
//! of medium with at least `offsite` of them off-site, and every repository could be read.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use super::open::{open_repository, RepositoryFailure};
use super::profile::Profile;
use super::run::profile_filter;
use super::state::StateDir;
use crate::backend::BackendOptions;
use crate::depth::MAX_DEPTH;
use crate::error::{Error, Result};
use crate::forget::last_copy::shown_name;
use crate::format::tree::{Node, NodeKind};
use crate::id::BlobId;
use crate::repository::{IndexedRepository, OpenOptions, Repository, SnapshotEntry};

/// How `status` opens repositories.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct StatusOptions {
    /// Backend options on top of each repository's own (`-o`).
    pub backend_options: BackendOptions,
    /// How repositories are opened (no lock is taken; nothing is written to them).
    pub open: OpenOptions,
}

/// One repository as `status` sees it.
#[derive(Debug, Clone, Serialize)]
pub struct RepositoryStatus {
    /// Its name.
    pub repository: String,
    /// Its location.
    pub location: String,
    /// Its medium.
    pub medium: String,
    /// Whether the profile says it is off-site.
    pub offsite: bool,
    /// Why it could not be read.
    pub error: Option<RepositoryFailure>,
    /// Snapshots of the profile in it.
    pub snapshots: usize,
    /// The newest of them.
    pub newest_snapshot: Option<DateTime<FixedOffset>>,
    /// Whether the newest is younger than `offsite-max-age`.
    pub fresh: bool,
    /// The last backup into it that this computer remembers.
    pub last_backup: Option<DateTime<Utc>>,
    /// The last time it received copies.
    pub last_copy: Option<DateTime<Utc>>,
    /// The last full verification without problems.
    pub last_full_verification: Option<DateTime<Utc>>,
    /// The share verified within the profile's window (0 to 1).
    pub verified_share: f64,
    /// Files of the source snapshot it holds.
    pub files_held: u64,
}

/// A file that the rule does not cover.
#[derive(Debug, Clone, Serialize)]
pub struct FileAtRisk {
    /// Its path.
    pub path: String,
    /// Its size.
    pub size: u64,
    /// Copies, the original included.
    pub copies: u32,
    /// The kinds of medium they are on.
    pub media: Vec<String>,
    /// Copies in fresh off-site repositories.
    pub offsite: u32,
    /// The repositories holding it.
    pub repositories: Vec<String>,
    /// Whether the original is on disk unchanged.
    pub original: bool,
}

/// The snapshot whose files are counted.
#[derive(Debug, Clone, Serialize)]
pub struct SourceSnapshot {
    /// The repository it was read from.
    pub repository: String,
    /// Its id.
    pub id: String,
    /// Its time.
    pub time: DateTime<FixedOffset>,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// The profile.
    pub profile: String,
    /// When this was computed.
    pub time: DateTime<Utc>,
    /// The snapshot counted (`None`: there is none yet).
    pub source_snapshot: Option<SourceSnapshot>,
    /// Files in it (non-empty regular files).
    pub files: u64,
    /// How many files have how many copies.
    pub copies: BTreeMap<u32, u64>,
    /// Per repository.
    pub repositories: Vec<RepositoryStatus>,
    /// Whether the rule holds.
    pub holds: bool,
    /// What is missing, one sentence each.
    pub missing: Vec<String>,
    /// `3-2-1: OK` or `3-2-1: NOT MET: …`.
    pub verdict: String,
    /// Every file the rule does not cover, fewest copies first.
    pub files_at_risk: Vec<FileAtRisk>,
}

/// A repository that opened, with its index loaded when it has snapshots of the profile to
/// walk, and those snapshots.
type Opened = Option<(Repository, Option<IndexedRepository>, Vec<SnapshotEntry>)>;

/// (path, size, mtime seconds, mtime nanoseconds).
type FileKey = (Vec<u8>, u64, i64, u32);

/// Computes the status of `profile`.
pub fn status(profile: &Profile, state_dir: &StateDir, options: &StatusOptions) -> StatusReport {
    let now = Utc::now();
    let state = state_dir.load();
    let filter = profile_filter(profile);
    let open = options.open.clone().no_lock(true);
    let mut repos: Vec<(RepositoryStatus, Opened)> = Vec::new();
    for rp in &profile.repositories {
        let opened = open_repository(rp, &options.backend_options, &open).and_then(|r| {
            let snaps = r
                .snapshots()
                .map_err(|e| RepositoryFailure::from_error(rp, "open", &e))?;
            let mine: Vec<SnapshotEntry> = snaps
                .into_iter()
                .filter(|s| filter.matches(&s.snapshot))
                .collect();
            let indexed = match mine.is_empty() {
                true => None,
                false => Some(
                    r.to_indexed()
                        .map_err(|e| RepositoryFailure::from_error(rp, "open", &e))?,
                ),
            };
            Ok((r, indexed, mine))
        });
        let remembered = state.repositories.get(&rp.name).filter(|s| {
            opened
                .as_ref()
                .map(|(r, _, _)| r.config().id == s.id)
                .unwrap_or(true)
        });
        let newest = opened
            .as_ref()
            .ok()
            .and_then(|(_, _, s)| s.iter().map(|e| e.snapshot.time).max());
        let status = RepositoryStatus {
            repository: rp.name.clone(),
            location: rp.location.clone(),
            medium: rp.medium.clone(),
            offsite: rp.offsite,
            error: opened.as_ref().err().cloned(),
            snapshots: opened.as_ref().map(|(_, _, s)| s.len()).unwrap_or(0),
            newest_snapshot: newest,
            fresh: newest
                .is_some_and(|t| now - t.with_timezone(&Utc) < profile.rule.offsite_max_age.0),
            last_backup: remembered.and_then(|s| s.last_backup),
            last_copy: remembered.and_then(|s| s.last_copy),
            last_full_verification: remembered.and_then(|s| s.last_full_verification()),
            verified_share: remembered
                .map(|s| s.verified_share(now - profile.verify.window.0))
                .unwrap_or(0.0),
            files_held: 0,
        };
        repos.push((status, opened.ok()));
    }

    let mut missing = Vec::new();
    for (s, _) in &repos {
        if let Some(e) = &s.error {
            missing.push(format!(
                "repository '{}' could not be read: {}",
                s.repository, e.message
            ));
        }
    }
    // The snapshot counted: the primary's newest, else the newest anywhere.
    let source = repos
        .iter()
        .filter_map(|(s, o)| {
            let (_, r, snaps) = o.as_ref()?;
            let r = r.as_ref()?;
            let newest = snaps.iter().max_by_key(|e| (e.snapshot.time, e.id))?;
            Some((s.repository.clone(), r, newest.clone()))
        })
        .next();
    let mut report = StatusReport {
        profile: profile.name.clone(),
        time: now,
        source_snapshot: None,
        files: 0,
        copies: BTreeMap::new(),
        repositories: Vec::new(),
        holds: false,
        missing: Vec::new(),
        verdict: String::new(),
        files_at_risk: Vec::new(),
    };
    let Some((source_name, source_repo, source_entry)) = source else {
        if repos.iter().all(|(s, _)| s.error.is_none()) {
            missing.push("no snapshot yet: run `pvault run`".into());
        }
        report.repositories = repos.into_iter().map(|(s, _)| s).collect();
        return finish(report, missing);
    };
    report.source_snapshot = Some(SourceSnapshot {
        repository: source_name,
        id: source_entry.id.to_hex(),
        time: source_entry.snapshot.time,
    });

    // The files of the source snapshot.
    let mut files: Vec<(FileKey, PathBuf)> = Vec::new();
    if let Err(e) = walk(
        source_repo,
        &source_entry.snapshot.tree,
        &mut HashSet::new(),
        &mut |path, node| {
            files.push((key(path, node), path.to_path_buf()));
        },
    ) {
        missing.push(format!("the source snapshot could not be read: {e}"));
    }
    let index: HashMap<&FileKey, usize> =
        files.iter().enumerate().map(|(i, (k, _))| (k, i)).collect();
    let mut held: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
    for (ri, (status, opened)) in repos.iter_mut().enumerate() {
        let Some((_, Some(r), snaps)) = opened else {
            continue;
        };
        let mut seen = vec![false; files.len()];
        let mut walked = HashSet::new();
        for s in snaps.iter() {
            let result = walk(r, &s.snapshot.tree, &mut walked, &mut |path, node| {
                if let Some(&i) = index.get(&key(path, node)) {
                    seen[i] = true;
                }
            });
            if let Err(e) = result {
                missing.push(format!(
                    "repository '{}': snapshot {} could not be read: {e}",
                    status.repository,
                    s.id.short()
                ));
            }
        }
        for (i, yes) in seen.iter().enumerate() {
            if *yes {
                held[i].push(ri);
            }
        }
        status.files_held = seen.iter().filter(|x| **x).count() as u64;
    }

    // Count copies per file.
    let rule = &profile.rule;
    let (mut few_copies, mut few_media, mut few_offsite) = (0u64, 0u64, 0u64);
    for (i, ((_, size, secs, nanos), path)) in files.iter().enumerate() {
        let original = std::fs::symlink_metadata(path).is_ok_and(|m| {
            m.is_file() && m.len() == *size && m.mtime() == *secs && m.mtime_nsec() as u32 == *nanos
        });
        let mut media: BTreeSet<String> = BTreeSet::new();
        if original {
            media.insert(profile.source.medium.clone());
        }
        let mut offsite = 0u32;
        for &ri in &held[i] {
            let s = &repos[ri].0;
            media.insert(s.medium.clone());
            if s.offsite && s.fresh {
                offsite += 1;
            }
        }
        let copies = held[i].len() as u32 + original as u32;
        *report.copies.entry(copies).or_default() += 1;
        let short = (
            copies < rule.copies,
            (media.len() as u32) < rule.media,
            offsite < rule.offsite,
        );
        few_copies += short.0 as u64;
        few_media += short.1 as u64;
        few_offsite += short.2 as u64;
        if short.0 || short.1 || short.2 {
            report.files_at_risk.push(FileAtRisk {
                path: path.display().to_string(),
                size: *size,
                copies,
                media: media.into_iter().collect(),
                offsite,
                repositories: held[i]
                    .iter()
                    .map(|&ri| repos[ri].0.repository.clone())
                    .collect(),
                original,
            });
        }
    }
    report.files = files.len() as u64;
    report
        .files_at_risk
        .sort_by(|a, b| a.copies.cmp(&b.copies).then(a.path.cmp(&b.path)));
    let n = files.len() as u64;
    let all_or = |count: u64, what: &str| {
        if count == n {
            format!("no file has {what}")
        } else {
            format!(
                "{} of {} files do not have {what}",
                thousands(count),
                thousands(n)
            )
        }
    };
    if few_copies > 0 {
        let fewest = report.files_at_risk.first().map(|f| f.copies).unwrap_or(0);
        missing.push(format!(
            "{} files have fewer than {} copies (the fewest: {fewest})",
            thousands(few_copies),
            rule.copies
        ));
    }
    if few_media > 0 {
        missing.push(all_or(
            few_media,
            &format!("copies on {} kinds of medium", rule.media),
        ));
    }
    if few_offsite > 0 {
        let offsite_repos = repos.iter().filter(|(s, _)| s.offsite).count();
        if offsite_repos == 0 {
            missing.push("no repository is off-site (mark one offsite = true)".into());
        } else if few_offsite == n && repos.iter().all(|(s, _)| !s.offsite || !s.fresh) {
            missing.push(format!(
                "no off-site copy newer than {}",
                rule.offsite_max_age.shown()
            ));
        } else {
            missing.push(all_or(
                few_offsite,
                &format!(
                    "an off-site copy newer than {}",
                    rule.offsite_max_age.shown()
                ),
            ));
        }
    }
    report.repositories = repos.into_iter().map(|(s, _)| s).collect();
    finish(report, missing)
}

fn finish(mut report: StatusReport, missing: Vec<String>) -> StatusReport {
    report.holds = missing.is_empty();
    report.verdict = if report.holds {
        format!(
            "3-2-1: OK ({} files, each with {} copies or more)",
            thousands(report.files),
            report.copies.keys().next().copied().unwrap_or(0)
        )
    } else {
        format!("3-2-1: NOT MET: {}", missing.join("; "))
    };
    report.missing = missing;
    report
}

fn key(path: &std::path::Path, node: &Node) -> FileKey {
    (
        path.as_os_str().as_bytes().to_vec(),
        node.size,
        node.mtime.secs,
        node.mtime.nanos,
    )
}

/// Calls `each(path, file)` for every non-empty regular file below `root`. A folder already
/// walked at the same path (in another snapshot of the same repository) is skipped: it
/// holds the same files.
fn walk(
    repo: &IndexedRepository,
    root: &BlobId,
    walked: &mut HashSet<(BlobId, PathBuf)>,
    each: &mut dyn FnMut(&std::path::Path, &Node),
) -> Result<()> {
    let mut stack: Vec<(BlobId, PathBuf, usize)> = vec![(*root, PathBuf::from("/"), 0)];
    while let Some((tree, dir, depth)) = stack.pop() {
        if !walked.insert((tree, dir.clone())) {
            continue;
        }
        if depth >= MAX_DEPTH {
            return Err(Error::TooDeep {
                path: dir.display().to_string(),
            });
        }
        for node in repo.read_tree(&tree)?.nodes {
            let path = dir.join(shown_name(&node));
            match (node.kind, node.subtree) {
                (NodeKind::Dir, Some(sub)) => stack.push((sub, path, depth + 1)),
                (NodeKind::File, _) if node.size > 0 => each(&path, &node),
                _ => {}
            }
        }
    }
    Ok(())
}

/// 1204 → "1,204".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
