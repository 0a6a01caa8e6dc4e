//! A short-lived cache of read answers (site info, course lists), bounded in size, emptied
//! by the bridge's own writes. A generation counter keeps a read that started before a
//! write from storing its (now stale) answer after the write emptied the cache.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::Reply;

/// Entries kept at most (each distinct search or category is one).
const MAX_ENTRIES: u64 = 1024;

/// The cache; a zero time-to-live turns it off.
pub struct ReplyCache {
    entries: Option<moka::sync::Cache<String, Reply>>,
    generation: AtomicU64,
}

/// A read's place in the cache: where to store its answer, if still current.
pub struct Ticket {
    key: String,
    generation: u64,
}

impl ReplyCache {
    /// A cache keeping answers for `ttl`.
    pub fn new(ttl: Duration) -> ReplyCache {
        ReplyCache {
            entries: (!ttl.is_zero()).then(|| {
                moka::sync::Cache::builder()
                    .max_capacity(MAX_ENTRIES)
                    .time_to_live(ttl)
                    .build()
            }),
            generation: AtomicU64::new(0),
        }
    }

    /// The stored answer for `key`, or a ticket to store one.
    pub fn lookup(&self, key: String) -> Result<Reply, Ticket> {
        let generation = self.generation.load(Ordering::Acquire);
        match self.entries.as_ref().and_then(|e| e.get(&key)) {
            Some(hit) => Ok(hit),
            None => Err(Ticket { key, generation }),
        }
    }

    /// Stores `reply` unless a write emptied the cache since the ticket was taken.
    pub fn store(&self, ticket: Ticket, reply: &Reply) {
        if let Some(entries) = &self.entries
            && self.generation.load(Ordering::Acquire) == ticket.generation
        {
            entries.insert(ticket.key, reply.clone());
        }
    }

    /// Forgets everything (after a write).
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn reply(s: &'static str) -> Reply {
        Reply {
            data: Bytes::from_static(s.as_bytes()),
            warnings: Vec::new(),
        }
    }

    #[test]
    fn an_answer_is_reused_until_a_write_clears_it() {
        let cache = ReplyCache::new(Duration::from_secs(60));
        let ticket = cache.lookup("k".to_owned()).expect_err("empty");
        cache.store(ticket, &reply("1"));
        assert_eq!(
            cache.lookup("k".to_owned()).ok().map(|r| r.data),
            Some(Bytes::from("1"))
        );
        cache.clear();
        assert!(cache.lookup("k".to_owned()).is_err());
    }

    #[test]
    fn a_read_that_started_before_a_write_does_not_store() {
        let cache = ReplyCache::new(Duration::from_secs(60));
        let ticket = cache.lookup("k".to_owned()).expect_err("empty");
        cache.clear();
        cache.store(ticket, &reply("stale"));
        assert!(cache.lookup("k".to_owned()).is_err());
    }

    #[test]
    fn zero_ttl_stores_nothing() {
        let cache = ReplyCache::new(Duration::ZERO);
        let ticket = cache.lookup("k".to_owned()).expect_err("empty");
        cache.store(ticket, &reply("1"));
        assert!(cache.lookup("k".to_owned()).is_err());
    }
}
