//! The memory that imports in flight may take together (`--import-memory`).
//!
//! An import holds its body, then parses it into entries and the records
//! the store writes: at its peak a 32 MiB CSV of 100 columns grows the
//! server by under 3 times its size, a list of bare numbers, whose lines
//! are short, by about 15 times (docs/benchmarks.md); [`IMPORT_COST`] lies
//! between. Two dozen large uploads at once, or stalled near their end,
//! would take a small server's memory; so each import reserves its share of one budget
//! before its body is read, from its `Content-Length` (the largest import
//! when it has none), and gives it back when it is answered. An import
//! that does not fit is answered `503` at once, with `Retry-After`, before
//! its body is read. One import alone always fits, whatever its size.

use super::body::{MAX_IMPORT_BODY, closing};
use super::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Peak memory of an import, as a multiple of its body.
pub const IMPORT_COST: usize = 10;
/// The default of `--import-memory`, in MiB: three of the largest imports
/// at once.
pub const DEFAULT_IMPORT_MEMORY_MIB: u32 = 1024;
/// Seconds a refused import is asked to wait before it tries again.
pub const RETRY_AFTER_SECS: u32 = 5;

/// What imports in flight have reserved of `--import-memory`, in KiB.
#[derive(Debug)]
pub struct ImportBudget {
    free: Arc<Semaphore>,
    kib: u32,
}

impl ImportBudget {
    pub fn new(mib: u32) -> Arc<ImportBudget> {
        let kib = mib.saturating_mul(1024).max(1);
        Arc::new(ImportBudget {
            free: Arc::new(Semaphore::new(kib as usize)),
            kib,
        })
    }

    /// The budget, in MiB.
    pub fn mib(&self) -> u32 {
        self.kib / 1024
    }

    /// What the imports in flight hold now, in bytes.
    pub fn reserved_bytes(&self) -> u64 {
        u64::from(self.kib).saturating_sub(self.free.available_permits() as u64) * 1024
    }

    /// What an import of `body` bytes (the largest, if unknown) reserves:
    /// at most the whole budget, so that one import alone always fits.
    pub fn cost_kib(&self, body: Option<u64>) -> u32 {
        let body = body.map_or(MAX_IMPORT_BODY as u64, |b| b.min(MAX_IMPORT_BODY as u64));
        let kib = (body * IMPORT_COST as u64).div_ceil(1024).max(1);
        u32::try_from(kib).unwrap_or(u32::MAX).min(self.kib)
    }

    /// The import's share, if the budget has room for it now.
    pub fn try_reserve(&self, body: Option<u64>) -> Option<OwnedSemaphorePermit> {
        self.free
            .clone()
            .try_acquire_many_owned(self.cost_kib(body))
            .ok()
    }
}

/// Runs the import with its share of the budget held until it is answered;
/// past the budget, `503` with `Retry-After` and the body left unread (the
/// connection closes, so that the client knows).
pub async fn within_budget(
    State(budget): State<Arc<ImportBudget>>,
    req: Request,
    next: Next,
) -> Response {
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(share) = budget.try_reserve(length) else {
        tracing::warn!(
            "an import was refused: imports in flight use the {} MiB of --import-memory",
            budget.mib()
        );
        let mut resp = closing(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "imports in flight use the server's import memory (--import-memory {} MiB): \
                 try again in {RETRY_AFTER_SECS} s",
                budget.mib()
            ),
        ));
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        return resp;
    };
    let resp = next.run(req).await;
    drop(share);
    if budget.reserved_bytes() == 0 {
        // Before the answer, so that whoever reads the server's memory
        // after it sees what the import left, not what it used.
        let _ = tokio::task::spawn_blocking(give_back).await;
    }
    resp
}

/// Keeps glibc's thresholds for `mmap` and for trimming at their defaults
/// (128 KiB) instead of letting them rise. glibc raises both after a large
/// `mmap`ed block is freed, such as an import's body: the trimming
/// threshold then reached 64 MB, and the tens of megabytes a wide import
/// freed at the top of a thread's heap stayed resident, where neither a
/// `free` nor `malloc_trim` gives them back. Once per process.
pub fn fix_allocator_thresholds() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        const DEFAULT: libc::c_int = 128 * 1024;
        // SAFETY: mallopt only sets glibc's parameters; it is called once,
        // before the server's work starts.
        ONCE.call_once(|| unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, DEFAULT);
            libc::mallopt(libc::M_TRIM_THRESHOLD, DEFAULT);
        });
    }
}

/// Hands the memory that the last import in flight freed back to the
/// system. glibc keeps freed small allocations in its arenas: the cells
/// of a wide list, parsed and written, left the server about 60 MB larger
/// than it needed to be (docs/benchmarks.md) until something else reused
/// them.
fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; it takes
    // glibc's own locks and touches no memory that is in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_reserves_its_body_times_the_cost_and_never_more_than_the_budget() {
        let budget = ImportBudget::new(400);
        assert_eq!(budget.cost_kib(Some(1024 * 1024)), 10 * 1024);
        assert_eq!(budget.cost_kib(Some(1)), 1);
        assert_eq!(budget.cost_kib(Some(0)), 1);
        // Unknown or over the body limit: the largest import's share.
        assert_eq!(budget.cost_kib(None), 320 * 1024);
        assert_eq!(budget.cost_kib(Some(u64::MAX)), 320 * 1024);
        let small = ImportBudget::new(64);
        assert_eq!(small.cost_kib(None), 64 * 1024, "one import alone fits");
    }

    #[test]
    fn past_the_budget_an_import_waits_for_another_to_end() {
        let budget = ImportBudget::new(400);
        let first = budget.try_reserve(None).expect("320 MiB of 400");
        assert!(budget.try_reserve(Some(20 << 20)).is_none(), "200 MiB more");
        let small = budget.try_reserve(Some(1 << 20)).expect("10 MiB more");
        assert_eq!(budget.reserved_bytes(), 330 << 20);
        drop(first);
        assert!(budget.try_reserve(Some(20 << 20)).is_some());
        drop(small);
    }
}
