//! The forget plan: what a forget would keep and remove, decided before anything is removed,
//! and its execution.

use std::collections::HashSet;

use crate::error::{Error, Result};
use crate::id::SnapshotId;
use crate::repository::{IndexedRepository, LockKind, Repository, SnapshotEntry};
use crate::snapshot_filter::SnapshotFilter;

use super::group::{GroupBy, GroupKey};
use super::last_copy::LastCopy;
use super::policy::{sort_newest_first, Decision, Policy};

/// What to forget: named snapshots, or those a policy does not keep.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ForgetOptions {
    /// Snapshots to remove, by id, unique prefix or `latest` (not with a policy).
    pub snapshots: Vec<String>,
    /// Which snapshots the policy looks at (and what `latest` means); others are kept.
    pub filter: SnapshotFilter,
    /// The retention policy, applied to each group.
    pub policy: Policy,
    /// How snapshots are grouped for the policy.
    pub group_by: GroupBy,
    /// Allow an empty policy, or one that keeps no snapshot of some group.
    pub allow_remove_all: bool,
}

impl ForgetOptions {
    /// Removes this snapshot (id, unique prefix or `latest`).
    pub fn snapshot(mut self, spec: impl Into<String>) -> Self {
        self.snapshots.push(spec.into());
        self
    }

    /// Sets the retention policy.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Only these snapshots are considered.
    pub fn filter(mut self, filter: SnapshotFilter) -> Self {
        self.filter = filter;
        self
    }

    /// Sets the grouping.
    pub fn group_by(mut self, group_by: GroupBy) -> Self {
        self.group_by = group_by;
        self
    }

    /// Allows removing every snapshot (of a group, or of the selection).
    pub fn allow_remove_all(mut self, allow: bool) -> Self {
        self.allow_remove_all = allow;
        self
    }
}

/// One group's outcome.
#[derive(Debug, Clone)]
pub struct GroupPlan {
    /// What the group's snapshots share (all `None` for named snapshots).
    pub key: GroupKey,
    /// Every snapshot of the group, newest first, each with the rules that keep it (no
    /// rule: removed).
    pub decisions: Vec<Decision>,
}

impl GroupPlan {
    /// The snapshots kept, newest first.
    pub fn kept(&self) -> impl Iterator<Item = &Decision> {
        self.decisions.iter().filter(|d| d.is_kept())
    }

    /// The snapshots removed, newest first.
    pub fn removed(&self) -> impl Iterator<Item = &SnapshotEntry> {
        self.decisions
            .iter()
            .filter(|d| !d.is_kept())
            .map(|d| &d.entry)
    }
}

/// What a forget would do, decided and not yet done.
#[derive(Debug, Clone)]
pub struct ForgetPlan {
    /// Each group the policy thinned (one group for named snapshots).
    pub groups: Vec<GroupPlan>,
    /// Files that only removed snapshots hold: removing them loses these files.
    pub last_copies: Vec<LastCopy>,
}

impl ForgetPlan {
    /// Every snapshot the plan removes.
    pub fn removed(&self) -> impl Iterator<Item = &SnapshotEntry> {
        self.groups.iter().flat_map(GroupPlan::removed)
    }
}

impl IndexedRepository {
    /// Decides what a forget would keep and remove, and which files would then be lost
    /// ([`ForgetPlan::last_copies`], counted against every snapshot that stays, of any
    /// group). Removes nothing.
    ///
    /// Refused ([`Error::InvalidArgument`]): snapshot ids together with a policy.
    /// Refused ([`Error::RemovesEverything`]) unless `allow_remove_all`: no ids and an
    /// empty policy, or a policy that keeps no snapshot of some group.
    pub fn plan_forget(&self, options: &ForgetOptions) -> Result<ForgetPlan> {
        let groups = if options.snapshots.is_empty() {
            self.plan_policy(options)?
        } else {
            if !options.policy.is_empty() {
                return Err(Error::InvalidArgument(
                    "snapshot ids and a retention policy cannot be combined: either name the snapshots to remove, or give the rules to keep by".into(),
                ));
            }
            let mut named = self.select_snapshots(&options.snapshots, &options.filter)?;
            sort_newest_first(&mut named);
            vec![GroupPlan {
                key: GroupKey::default(),
                decisions: named
                    .into_iter()
                    .map(|entry| Decision {
                        entry,
                        reasons: Vec::new(),
                    })
                    .collect(),
            }]
        };
        let removed: Vec<SnapshotEntry> = groups
            .iter()
            .flat_map(GroupPlan::removed)
            .cloned()
            .collect();
        let removed_ids: HashSet<SnapshotId> = removed.iter().map(|e| e.id).collect();
        let kept: Vec<SnapshotEntry> = self
            .snapshots()?
            .into_iter()
            .filter(|e| !removed_ids.contains(&e.id))
            .collect();
        let last_copies = if removed.is_empty() {
            Vec::new()
        } else {
            self.last_copies(&removed, &kept)?
        };
        Ok(ForgetPlan {
            groups,
            last_copies,
        })
    }
}

impl Repository {
    fn plan_policy(&self, options: &ForgetOptions) -> Result<Vec<GroupPlan>> {
        if options.policy.is_empty() && !options.allow_remove_all {
            return Err(Error::RemovesEverything {
                reason: "no snapshot and no retention rule was given".into(),
            });
        }
        let selected = self.select_snapshots(&[], &options.filter)?;
        let mut plans = Vec::new();
        for (key, group) in options.group_by.group(selected) {
            let decisions = options.policy.apply(group);
            if !options.allow_remove_all && !decisions.iter().any(Decision::is_kept) {
                return Err(Error::RemovesEverything {
                    reason: format!("the policy keeps no snapshot of the group {key}"),
                });
            }
            plans.push(GroupPlan { key, decisions });
        }
        Ok(plans)
    }

    /// Removes the snapshots `plan` removes, under a shared lock (SPEC W9), and returns
    /// their ids. Refused with [`Error::LastCopy`], before anything is removed, when the
    /// plan lists files that only removed snapshots hold, unless `allow_last_copy_loss`.
    /// A snapshot already gone (another forget) is skipped.
    pub fn forget(&self, plan: &ForgetPlan, allow_last_copy_loss: bool) -> Result<Vec<SnapshotId>> {
        if !plan.last_copies.is_empty() && !allow_last_copy_loss {
            return Err(Error::LastCopy {
                files: plan.last_copies.len(),
            });
        }
        let _lock = self.lock(LockKind::Shared)?;
        let mut removed = Vec::new();
        for entry in plan.removed() {
            match self.remove_snapshot(&entry.id) {
                Ok(()) => removed.push(entry.id),
                Err(Error::Backend(e)) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }
}
