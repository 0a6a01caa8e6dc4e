//! Bounds on server-sent event streams: at most `EVENT_STREAMS_PER_SUBJECT` open streams per
//! caller, each for at most `EVENT_STREAM_MAX_SECONDS` (a client reconnects with
//! `Last-Event-ID`). A stream holds a [`StreamSlot`] for as long as it lives; dropping the
//! stream (the client left, the job ended, the time ran out) gives the slot back.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The open streams per caller.
#[derive(Debug)]
pub struct StreamSlots {
    open: Mutex<HashMap<String, usize>>,
    per_caller: usize,
    max_duration: Duration,
}

/// One open stream of a caller; its slot is given back on drop.
#[derive(Debug)]
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    caller: String,
}

impl StreamSlots {
    /// At most `per_caller` streams per caller, each at most `max_duration` long.
    pub fn new(per_caller: usize, max_duration: Duration) -> StreamSlots {
        StreamSlots {
            open: Mutex::new(HashMap::new()),
            per_caller,
            max_duration,
        }
    }

    /// How long one stream may live.
    pub fn max_duration(&self) -> Duration {
        self.max_duration
    }

    /// A slot for `caller`, or `None` when it has as many streams open as allowed.
    pub fn take(self: &Arc<Self>, caller: &str) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(caller.to_owned()).or_insert(0);
        if *count >= self.per_caller {
            return None;
        }
        *count += 1;
        Some(StreamSlot {
            slots: self.clone(),
            caller: caller.to_owned(),
        })
    }

    /// How many streams `caller` has open.
    pub fn open(&self, caller: &str) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(caller).copied().unwrap_or(0)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.caller) {
            *count = count.saturating_sub(1);
            // No entry stays for a caller without streams: the map is as large as the open
            // streams, never larger.
            if *count == 0 {
                open.remove(&self.caller);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_gets_as_many_slots_as_allowed_and_gets_them_back_on_drop() {
        let slots = Arc::new(StreamSlots::new(2, Duration::from_secs(60)));
        let a = slots.take("alice").expect("first");
        let b = slots.take("alice").expect("second");
        assert!(slots.take("alice").is_none(), "third refused");
        assert!(slots.take("bob").is_some(), "others are not affected");
        drop(a);
        assert_eq!(slots.open("alice"), 1);
        let _c = slots.take("alice").expect("one is free again");
        drop(b);
        drop(_c);
        assert!(
            slots.open.lock().expect("lock").is_empty(),
            "nothing is kept for callers without streams"
        );
    }
}
