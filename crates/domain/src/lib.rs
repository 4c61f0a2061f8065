//! The rules of a guildhall community, as plain data and pure functions.
//!
//! Nothing here touches a database, the network or the clock: callers pass
//! in what a decision needs (the actor, the post, the settings, the day) and
//! get back what should change. Storage and the web layer only carry out
//! those decisions, so every rule can be tested with a table of cases.

pub mod badges;
pub mod error;
pub mod inbox;
pub mod moderation;
pub mod privileges;
pub mod reputation;
pub mod review;
pub mod search;
pub mod settings;
pub mod validation;
pub mod votes;

pub use error::{DomainError, ErrorCode};
pub use privileges::{Actor, Privilege, Role};
pub use settings::CommunitySettings;

/// Seconds since the Unix epoch; the only notion of time the rules need.
pub type Timestamp = i64;

/// The UTC day number of a timestamp, used by the daily reputation cap.
pub fn utc_day(ts: Timestamp) -> i64 {
    ts.div_euclid(86_400)
}
