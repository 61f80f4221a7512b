//! Forget: remove snapshots, named or chosen by a retention policy, without losing the last
//! copy of a photo by accident.
//!
//! Forgetting plans first and executes the plan second: [`IndexedRepository::plan_forget`](crate::IndexedRepository::plan_forget) decides,
//! per group, what is kept (and by which rules) and what is removed, and lists the files
//! only the removed snapshots hold ([`LastCopy`]); [`Repository::forget`](crate::Repository::forget) removes the
//! snapshot files of a plan, refusing while it would lose such files unless told to. The
//! data the removed snapshots referenced stays until prune.
//!
//! ```no_run
//! # fn main() -> photovault_core::Result<()> {
//! # let repo: photovault_core::IndexedRepository = unimplemented!();
//! use photovault_core::forget::{Count, ForgetOptions, Period, Policy};
//!
//! let policy = Policy::default()
//!     .keep(Period::Daily, Count::Limit(7))
//!     .keep(Period::Monthly, Count::Unlimited);
//! let plan = repo.plan_forget(&ForgetOptions::default().policy(policy))?;
//! for copy in &plan.last_copies {
//!     println!("{} ({} bytes) is only in {}", copy.path.display(), copy.size, copy.snapshot);
//! }
//! repo.forget(&plan, false)?; // Error::LastCopy if the list above is not empty
//! # Ok(()) }
//! ```

mod group;
pub(crate) mod last_copy;
mod plan;
mod policy;

pub use group::{GroupBy, GroupKey};
pub use last_copy::LastCopy;
pub use plan::{ForgetOptions, ForgetPlan, GroupPlan};
pub use policy::{Count, Decision, Period, Policy, Reason, Within};
