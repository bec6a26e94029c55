//! Background sync: runs a sync now and then, backs off while the server cannot be reached, and starts
//! again by itself as soon as it can. It opens its own connection to the device database, so the app
//! keeps working (and writing) while it runs.

use crate::{sync_with, Progress, SyncError, SyncOptions, SyncReport};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use zoufang_store::{DeviceKey, Store};

#[derive(Debug, Clone, Copy)]
pub struct AutoOptions {
    /// Time between syncs while all is well.
    pub interval: Duration,
    /// First wait after a failure; doubles up to `max_backoff`.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    pub sync: SyncOptions,
}

impl Default for AutoOptions {
    fn default() -> Self {
        AutoOptions {
            interval: Duration::from_secs(60),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            sync: SyncOptions::default(),
        }
    }
}

/// What the loop tells its owner.
#[derive(Debug)]
pub enum AutoEvent {
    Progress(Progress),
    Synced(SyncReport),
    /// Failed, will try again after the given wait.
    Retrying {
        error: SyncError,
        wait: Duration,
    },
    /// Failed in a way retrying will not fix (token revoked, device not enrolled…); the loop stops.
    Stopped(SyncError),
}

fn sleep_until_stopped(d: Duration, stop: &AtomicBool, wake: &AtomicBool) {
    let end = Instant::now() + d;
    while Instant::now() < end && !stop.load(Ordering::Relaxed) && !wake.swap(false, Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50).min(end.saturating_duration_since(Instant::now())));
    }
}

/// Runs until `stop` is set or a non-retryable error occurs. `key` opens an encrypted device database
/// (derived once by the caller; `None` for a plain one).
pub fn run_auto(
    db: &Path,
    key: Option<&DeviceKey>,
    opts: AutoOptions,
    stop: &AtomicBool,
    on_event: &mut dyn FnMut(AutoEvent),
) {
    run_auto_waking(db, key, opts, stop, &AtomicBool::new(false), on_event)
}

/// [`run_auto`] that also syncs at once, whatever the wait, when `wake` is set (the app's 「立即同步」).
pub fn run_auto_waking(
    db: &Path,
    key: Option<&DeviceKey>,
    opts: AutoOptions,
    stop: &AtomicBool,
    wake: &AtomicBool,
    on_event: &mut dyn FnMut(AutoEvent),
) {
    let mut backoff = opts.min_backoff;
    while !stop.load(Ordering::Relaxed) {
        let opened = match key {
            Some(k) => Store::open_with_key(db, k),
            None => Store::open(db),
        };
        let result = opened
            .map_err(SyncError::from)
            .and_then(|mut store| sync_with(&mut store, opts.sync, &mut |p| on_event(AutoEvent::Progress(p))));
        match result {
            Ok(report) => {
                backoff = opts.min_backoff;
                on_event(AutoEvent::Synced(report));
                sleep_until_stopped(opts.interval, stop, wake);
            }
            Err(e) if e.is_retryable() => {
                on_event(AutoEvent::Retrying { error: e, wait: backoff });
                sleep_until_stopped(backoff, stop, wake);
                backoff = (backoff * 2).min(opts.max_backoff);
            }
            Err(e) => {
                on_event(AutoEvent::Stopped(e));
                return;
            }
        }
    }
}
