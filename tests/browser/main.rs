//! `pvault serve` in a real browser: Debian's headless Chromium, driven through
//! chromedriver (WebDriver, by the fantoccini crate), against a repository of the
//! generated photo corpus plus a playable video and Live Photo and RAW+JPEG pairs.
//!
//! Skipped, loudly, where `/usr/bin/chromium` or `/usr/bin/chromedriver` is missing
//! (`.ci/run` installs them). `PVAULT_BROWSER_SCREENSHOTS=DIR` keeps screenshots of the
//! main views in DIR (docs/screenshots/ holds the ones the README shows).
//! `cargo test --test browser -- --ignored` adds the 20,000-photo timeline timing (too slow
//! for CI).

mod support;
mod timing;
mod viewer;
