//! Integration tests of the stand-in.

mod conformance;
mod transcript;
mod faults;
mod robustness;
mod rules;
mod support;
