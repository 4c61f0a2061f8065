//! Community analytics: pure computation over GitHub event streams.
//!
//! - [`event`] reads one GH Archive line into an [`event::Event`];
//! - [`aggregate`] reduces events to per-month aggregates (what storage keeps);
//! - [`activity`], [`rank`] ([`openrank`] underneath), [`health`] and
//!   [`vanity`] compute the metrics from those aggregates;
//! - [`rules`] holds every weight and threshold, as data.

pub mod activity;
pub mod aggregate;
pub mod event;
pub mod health;
pub mod openrank;
pub mod rank;
pub mod rules;
pub mod scan;
pub mod seen;
pub mod time;
pub mod vanity;
