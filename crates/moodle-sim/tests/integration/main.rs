//! Integration tests of the stand-in.

mod conformance;
mod transcript;
