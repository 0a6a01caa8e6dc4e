//! Integration tests of the stand-in.
