//! `pvault`: the command-line front end of photovault. It parses arguments, asks for
//! passwords, draws progress, and prints results; all the work is photovault-core's.

mod cli;
mod commands;
mod password;
mod progress;
mod terminal;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use photovault_core::routine::{self, load_profile, Profile, RepositoryProfile};
use photovault_core::{backend, Error, IndexedRepository, OpenOptions, Repository};

use cli::{Cli, Command, GlobalArgs};

/// A failure with the exit code restic would use.
pub struct CliError {
    pub message: String,
    pub code: u8,
}

impl CliError {
    pub fn usage(message: String) -> Self {
        CliError { message, code: 1 }
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        let advice = match &e {
            Error::RepositoryNotFound { .. } => {
                ": create one with `pvault init`, or check the path"
            }
            Error::Locked { .. } => {
                "; if no other pvault is running, remove stale locks with `pvault unlock`"
            }
            Error::Damaged { .. } => "; run `pvault check --read-data` to see what is affected",
            Error::BlobNotFound { .. } => "; run `pvault check`",
            Error::SnapshotNotFound { .. } => " (see `pvault snapshots`)",
            Error::PathNotInSnapshot { .. } => " (see `pvault ls`)",
            Error::LastCopy { .. } => {
                " (they are listed above; --allow-last-copy-loss removes the snapshots anyway)"
            }
            Error::RemovesEverything { .. } => {
                "; name snapshots, give a --keep-* rule, or add --unsafe-allow-remove-all"
            }
            Error::Cache { .. } => ", or run with --no-cache",
            Error::PruneRefused { .. } => {
                " (`pvault check`, `pvault repair index`, `pvault repair snapshots`)"
            }
            Error::KeyFilesOverLimit { .. } => {
                " (--kdf-limit-memory and --kdf-limit-iterations raise the limit)"
            }
            _ => "",
        };
        CliError {
            message: format!("{e}{advice}"),
            code: e.exit_code() as u8,
        }
    }
}

impl From<routine::ProfileError> for CliError {
    fn from(e: routine::ProfileError) -> Self {
        CliError::usage(e.to_string())
    }
}

impl From<routine::RepositoryFailure> for CliError {
    fn from(e: routine::RepositoryFailure) -> Self {
        CliError {
            code: u8::try_from(e.code).unwrap_or(1),
            message: e.to_string(),
        }
    }
}

/// What every command gets: global flags and a way to open the repository.
pub struct Context {
    pub global: GlobalArgs,
}

impl Context {
    /// The profile `-P` names, if any.
    pub fn profile(&self) -> Result<Option<Profile>, CliError> {
        match &self.global.profile {
            Some(spec) => Ok(Some(load_profile(spec)?)),
            None if self.global.repo_name.is_some() => Err(CliError::usage(
                "--repo-name picks a repository of a profile: give the profile with -P/--profile"
                    .into(),
            )),
            None => Ok(None),
        }
    }

    /// The profile named by a command's argument, or else by `-P`.
    pub fn profile_named(&self, arg: Option<&str>) -> Result<Profile, CliError> {
        let spec = arg.or(self.global.profile.as_deref()).ok_or_else(|| {
            CliError::usage("no profile given: name one (or a path), or use -P/--profile".into())
        })?;
        Ok(load_profile(spec)?)
    }

    /// The profile's repository that `-P` and `--repo-name` pick, if `-P` is given.
    fn profile_repository(&self) -> Result<Option<RepositoryProfile>, CliError> {
        let Some(profile) = self.profile()? else {
            return Ok(None);
        };
        Ok(Some(
            profile
                .repository(self.global.repo_name.as_deref())?
                .clone(),
        ))
    }

    /// The password of the repository: the profile's source, or the usual ones.
    pub fn password(&self, confirm: bool) -> Result<Vec<u8>, CliError> {
        match self.profile_repository()? {
            Some(repo) => repo
                .password
                .read()
                .map_err(|m| CliError::usage(format!("repository '{}': {m}", repo.name))),
            None => password::repository_password(self.global.password_file.as_deref(), confirm),
        }
    }

    pub fn backend(&self) -> Result<Arc<dyn backend::Backend>, CliError> {
        if let Some(repo) = self.profile_repository()? {
            return routine::open::repository_backend(&repo, &self.backend_options()?)
                .map_err(CliError::from);
        }
        let location = self.global.repo.clone().ok_or_else(|| {
            CliError::usage("no repository given: use -r/--repo or set PVAULT_REPOSITORY".into())
        })?;
        Ok(backend::open_location_with(
            &location,
            &self.backend_options()?,
        )?)
    }

    /// The `-o` options, for every repository a command opens.
    pub fn backend_options(&self) -> Result<backend::BackendOptions, CliError> {
        Ok(backend::BackendOptions::from_pairs(
            self.global.options.iter().map(String::as_str),
        )?)
    }

    pub fn open_options(&self) -> OpenOptions {
        let mut options = OpenOptions::default()
            .no_cache(self.global.no_cache)
            .no_lock(self.global.no_lock);
        let mut limit = photovault_core::DEFAULT_KDF_LIMIT;
        if let Some(memory_kib) = self.global.kdf_limit_memory {
            limit.memory_kib = memory_kib;
        }
        if let Some(iterations) = self.global.kdf_limit_iterations {
            limit.iterations = iterations;
        }
        options = options.kdf_limit(limit);
        if let Some(dir) = &self.global.cache_dir {
            options = options.cache_dir(dir);
        }
        options
    }

    pub fn open(&self) -> Result<Repository, CliError> {
        if let Some(repo) = self.profile_repository()? {
            return routine::open_repository(&repo, &self.backend_options()?, &self.open_options())
                .map_err(CliError::from);
        }
        let backend = self.backend()?;
        // Say "no repository" before asking for a password it would be pointless to type.
        if backend
            .list(backend::FileKind::Config)
            .map(|c| c.is_empty())
            .unwrap_or(false)
        {
            return Err(Error::RepositoryNotFound {
                location: backend.location(),
            }
            .into());
        }
        let password = password::repository_password(self.global.password_file.as_deref(), false)?;
        let repo = Repository::open(backend, &password, &self.open_options())?;
        for skipped in repo.skipped_key_files() {
            eprintln!(
                "warning: key file {} was not tried: it {} (--kdf-limit-memory and --kdf-limit-iterations raise the limit)",
                &skipped.name[..skipped.name.len().min(8)],
                skipped.reason
            );
        }
        Ok(repo)
    }

    /// Opens the repository and loads its index, for commands that read or store blobs.
    pub fn open_indexed(&self) -> Result<IndexedRepository, CliError> {
        Ok(self.open()?.to_indexed()?)
    }

    /// Opens the repository at `location` that a command reads from besides its own (the
    /// source of `copy`), with its index; errors name it as the source.
    pub fn open_source(
        &self,
        location: &str,
        password_file: Option<&std::path::Path>,
    ) -> Result<IndexedRepository, CliError> {
        let named = |e: Error| {
            let mut err = CliError::from(e);
            err.message = format!("source repository {location}: {}", err.message);
            err
        };
        let backend = self
            .backend_options()
            .and_then(|options| backend::open_location_with(location, &options).map_err(named))?;
        if backend
            .list(backend::FileKind::Config)
            .map(|c| c.is_empty())
            .unwrap_or(false)
        {
            return Err(named(Error::RepositoryNotFound {
                location: backend.location(),
            }));
        }
        let password = password::source_password(password_file)?;
        Repository::open(backend, &password, &self.open_options())
            .and_then(|repo| repo.to_indexed())
            .map_err(named)
    }

    /// Whether to print human-readable progress and summaries.
    pub fn verbose(&self) -> bool {
        !self.global.quiet && !self.global.json
    }
}

/// Prints a JSON value as one line on stdout.
pub fn print_json(value: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer(&mut out, value);
    let _ = out.write_all(b"\n");
}

/// glibc gives each thread that allocates an arena of its own and keeps what the thread
/// frees there for later. A backup's workers, decoding previews for thumbnails among other
/// things, left about 30 MiB of freed memory resident that way (peak RSS 104 MiB, 75 MiB with
/// one arena). One arena is enough for `pvault`: its hot paths reuse their buffers, so
/// threads seldom meet in the allocator.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn use_one_malloc_arena() {
    // SAFETY: mallopt only sets a parameter of the allocator; no other thread runs yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn use_one_malloc_arena() {}

fn main() -> ExitCode {
    use_one_malloc_arena();
    let cli = Cli::parse();
    let ctx = Context { global: cli.global };
    let result = match cli.command {
        Command::Init(args) => commands::init::run(&ctx, args),
        Command::Backup(args) => commands::backup::run(&ctx, args),
        Command::Snapshots(args) => commands::snapshots::run(&ctx, args),
        Command::Forget(args) => commands::forget::run(&ctx, *args),
        Command::Ls(args) => commands::ls::run(&ctx, args),
        Command::Restore(args) => commands::restore::run(&ctx, args),
        Command::Diff(args) => commands::diff::run(&ctx, args),
        Command::Find(args) => commands::find::run(&ctx, args),
        Command::Stats(args) => commands::stats::run(&ctx, args),
        Command::Tag(args) => commands::tag::run(&ctx, args),
        Command::Dump(args) => commands::dump::run(&ctx, args),
        Command::Check(args) => commands::check::run(&ctx, args),
        Command::VerifySource(args) => commands::verify_source::run(&ctx, args),
        Command::Thumbnails(args) => commands::thumbnails::run(&ctx, args),
        Command::Mount(args) => commands::mount::run(&ctx, args),
        Command::Serve(args) => commands::serve::run(&ctx, args),
        Command::Copy(args) => commands::copy::run(&ctx, args),
        Command::Prune(args) => commands::prune::run(&ctx, args),
        Command::Repair(cmd) => commands::repair::run(&ctx, cmd),
        Command::Cat(args) => commands::cat::run(&ctx, args),
        Command::Key(cmd) => commands::key::run(&ctx, cmd),
        Command::Unlock(args) => commands::unlock::run(&ctx, args),
        Command::Run(args) => commands::run::run(&ctx, args),
        Command::Status(args) => commands::status::run(&ctx, args),
        Command::Profile(cmd) => commands::profile::run(&ctx, cmd),
        Command::Schedule(cmd) => commands::schedule::run(&ctx, cmd),
        Command::Completion { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "pvault", &mut std::io::stdout());
            Ok(0)
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(command)
                .render(&mut std::io::stdout())
                .map(|()| 0)
                .map_err(|e| CliError::usage(format!("cannot write the manual page: {e}")))
        }
        Command::Version => {
            println!(
                "pvault {} (photovault-core {})",
                env!("CARGO_PKG_VERSION"),
                photovault_core::VERSION
            );
            Ok(0)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if ctx.global.json {
                print_json(
                    &serde_json::json!({"message_type": "exit_error", "code": e.code, "message": e.message}),
                );
            }
            eprintln!("pvault: {}", terminal::safe(&e.message));
            ExitCode::from(e.code)
        }
    }
}
