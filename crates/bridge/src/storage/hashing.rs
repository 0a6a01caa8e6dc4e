//! SHA-256 of a write on its own thread: the task that receives and writes a stream hands
//! each chunk (a reference-counted `Bytes`, never a copy) to a blocking thread that hashes
//! every byte in order, so hashing overlaps receiving and writing instead of taking turns
//! with them on one core. The queue is bounded: a slow hasher slows the writer down instead
//! of buffering the stream.

use bytes::Bytes;
use sha2::{Digest as _, Sha256};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Chunks go to the hashing thread in batches of about this many bytes: one wake-up of that
/// thread per batch instead of one per socket read.
const BATCH_BYTES: usize = 1024 * 1024;

/// Batches waiting for the hashing thread: with [`BATCH_BYTES`], at most about 5 MiB held for
/// hashing beyond what the storage write holds anyway.
const QUEUE: usize = 4;

/// A SHA-256 computed on a blocking thread over the chunks given to [`Self::update`], in order.
pub(super) struct BackgroundSha256 {
    queue: Option<mpsc::Sender<Vec<Bytes>>>,
    batch: Vec<Bytes>,
    batched: usize,
    task: JoinHandle<[u8; 32]>,
}

impl BackgroundSha256 {
    /// Starts the hashing thread (on the runtime's blocking pool).
    pub(super) fn start() -> BackgroundSha256 {
        let (queue, mut batches) = mpsc::channel::<Vec<Bytes>>(QUEUE);
        let task = tokio::task::spawn_blocking(move || {
            let mut hasher = Sha256::new();
            while let Some(batch) = batches.blocking_recv() {
                for chunk in &batch {
                    hasher.update(chunk);
                }
            }
            hasher.finalize().into()
        });
        BackgroundSha256 {
            queue: Some(queue),
            batch: Vec::new(),
            batched: 0,
            task,
        }
    }

    /// Adds the next chunk; waits only when the hashing thread is a whole queue behind.
    pub(super) async fn update(&mut self, chunk: Bytes) {
        self.batched += chunk.len();
        self.batch.push(chunk);
        if self.batched >= BATCH_BYTES {
            self.send().await;
        }
    }

    async fn send(&mut self) {
        let batch = std::mem::take(&mut self.batch);
        self.batched = 0;
        if let Some(queue) = &self.queue {
            // The receiver lives until the queue closes (below) or the thread panics, which
            // `finish` reports.
            let _ = queue.send(batch).await;
        }
    }

    /// The digest of every byte given; `None` when the runtime is shutting down and did not
    /// run the hashing thread.
    ///
    /// # Panics
    /// When the hashing thread panicked (it has no reason to), with that panic.
    pub(super) async fn finish(mut self) -> Option<[u8; 32]> {
        self.send().await;
        self.queue = None;
        match self.task.await {
            Ok(digest) => Some(digest),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_digest_covers_every_chunk_in_order_across_batches() {
        // Chunks of uneven sizes that fill several batches and end with a partial one.
        let data: Vec<u8> = (0..3 * BATCH_BYTES + 12_345)
            .map(|i| u8::try_from(i % 251).unwrap_or(0))
            .collect();
        let mut hasher = BackgroundSha256::start();
        let mut rest = Bytes::from(data.clone());
        let mut size = 1;
        while !rest.is_empty() {
            let take = size.min(rest.len());
            hasher.update(rest.split_to(take)).await;
            size = size * 7 % 200_000 + 1;
        }
        let expected: [u8; 32] = Sha256::digest(&data).into();
        assert_eq!(hasher.finish().await, Some(expected));
    }

    #[tokio::test]
    async fn nothing_given_is_the_digest_of_nothing() {
        let expected: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(BackgroundSha256::start().finish().await, Some(expected));
    }
}
