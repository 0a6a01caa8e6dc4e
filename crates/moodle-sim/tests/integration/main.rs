//! Integration tests of the stand-in.

mod conformance;
mod faults;
mod robustness;
mod rules;
mod support;
mod transcript;
