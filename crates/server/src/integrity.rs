//! The data directory's integrity: checked against its manifest before
//! anything can be dialed, and the manifest kept up to date while the
//! server runs (see [`crate::store::manifest`] for why it exists).

use crate::engine::Engine;
use crate::shutdown::Shutdown;
use crate::store::manifest::{self, Damage, Found, Manifest, Marks, Verdict};
use crate::store::{Store, StoreError, Stored};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How often the manifest catches up while changes happen: its bounds lag
/// the store by at most about this much.
const KEEP_EVERY: Duration = Duration::from_secs(1);

/// A data directory refused at start. The binary exits with code 2 on it.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing the data directory {dir}: {damage}. Nothing was dialed. Restore the directory from \
     a backup (docs/operations.md, \"Backups\"), or start once with --accept-data-loss to go on \
     from what is left: anyone the lost records had dialed may then be dialed again"
)]
pub struct DataDirError {
    pub dir: PathBuf,
    pub damage: Damage,
}

/// Holds the opened store against the manifest in `dir`. Returns the
/// directory's identity. With `accept_data_loss`, damage is logged loudly
/// and what is left becomes the new baseline.
pub fn verify(
    dir: &Path,
    store: &Store,
    stored: Option<&Stored>,
    accept_data_loss: bool,
) -> anyhow::Result<String> {
    let found = Found {
        id: store.identity()?,
        marks: stored.map(Stored::marks),
    };
    let fresh = || format!("{:032x}", rand::random::<u128>());
    match manifest::check(manifest::read(dir), &found, fresh()) {
        Ok(Verdict::Sound { id }) => Ok(id),
        Ok(Verdict::Adopt { id }) => {
            if found.marks.is_some() && found.id.is_none() {
                tracing::info!(
                    dir = %dir.display(),
                    "data directory from a release before manifests: writing its manifest"
                );
            }
            Ok(id)
        }
        Err(damage) if accept_data_loss => {
            tracing::error!(
                dir = %dir.display(),
                "--accept-data-loss: going on from a damaged data directory: {damage}. \
                 Entries whose records were lost may be dialed again"
            );
            Ok(found.id.unwrap_or_else(fresh))
        }
        Err(damage) => Err(DataDirError {
            dir: dir.to_path_buf(),
            damage,
        }
        .into()),
    }
}

/// Makes `id` and the engine's current marks durable in the store, then
/// writes them to the manifest: the manifest never claims more than sled
/// holds on disk.
pub async fn record(dir: &Path, id: &str, engine: &Engine) -> Result<Marks, StoreError> {
    let ticket = engine.store().set_identity(id)?;
    let (marks, last) = engine.marks();
    engine.store().durable(ticket.max(last)).await?;
    write(dir, id, marks).await;
    Ok(marks)
}

async fn write(dir: &Path, id: &str, marks: Marks) -> bool {
    let (dir, m) = (dir.to_path_buf(), Manifest::new(id.to_string(), marks));
    let result = tokio::task::spawn_blocking(move || manifest::write(&dir, &m)).await;
    match result {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!("cannot update the data directory's manifest: {e}");
            false
        }
        Err(e) => {
            tracing::warn!("the manifest writer stopped: {e}");
            false
        }
    }
}

/// Brings the manifest up to what the store made durable, about once a
/// second while changes happen, and once more at shutdown.
pub async fn run_keeper(
    engine: Arc<Engine>,
    dir: PathBuf,
    id: String,
    mut written: Marks,
    shutdown: Shutdown,
) {
    loop {
        let stopping = tokio::select! {
            () = tokio::time::sleep(KEEP_EVERY) => false,
            () = shutdown.wait() => true,
        };
        let (marks, ticket) = engine.marks();
        // While the store fails, a change may stand in memory that no
        // write holds yet: the heal writes it, and the manifest waits.
        if marks != written
            && engine.degraded().is_none()
            && engine.store().durable(ticket).await.is_ok()
            && write(&dir, &id, marks).await
        {
            written = marks;
        }
        if stopping {
            return;
        }
    }
}
