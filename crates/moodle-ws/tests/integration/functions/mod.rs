//! The typed functions against the stand-in's seeded site (the transcripts' data).

mod content;
mod courses;
mod people;
