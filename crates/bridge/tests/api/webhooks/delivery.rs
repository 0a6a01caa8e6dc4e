//! Deliveries from the stand-in's outbox to a local receiver.
