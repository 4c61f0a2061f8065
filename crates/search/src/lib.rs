//! Search for guildhall.
//!
//! - [`query`]: the query language (pure).
//! - [`analyzer`]: Chinese and English analysis shared by both engines.
//! - [`snippet`]: highlighted excerpts.

pub mod analyzer;
pub mod query;
pub mod snippet;
