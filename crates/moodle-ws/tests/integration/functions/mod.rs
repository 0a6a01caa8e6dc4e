//! The typed functions against the stand-in's seeded site (the transcripts' data).

mod bridge_events;
mod bridge_files;
mod bridge_quiz;
mod content;
mod courses;
mod people;
