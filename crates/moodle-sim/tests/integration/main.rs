//! Integration tests of the stand-in.

mod conformance;
mod faults;
mod lti;
mod php_parity;
mod plugins;
mod robustness;
mod rules;
mod support;
mod transcript;
mod versions;
