//! The Stack Exchange data dump format (meta.stackexchange.com/a/2678):
//! reading its XML files as a stream of rows, writing them back, and
//! converting the HTML of post bodies to Markdown. Nothing here knows about
//! guildhall's database; the importer and exporter live in services.

pub mod dates;
pub mod dump;
pub mod html;
pub mod write;

pub use dump::{DumpReader, ReadError, Row};
pub use write::DumpWriter;

/// The files of a dump, in the order an import reads them (users and tags
/// before the posts that name them, posts before what refers to posts).
pub const FILES: [&str; 8] = [
    "Users.xml",
    "Tags.xml",
    "Posts.xml",
    "Comments.xml",
    "Votes.xml",
    "PostHistory.xml",
    "PostLinks.xml",
    "Badges.xml",
];

/// `Posts.PostTypeId`.
pub mod post_type {
    pub const QUESTION: i64 = 1;
    pub const ANSWER: i64 = 2;
    pub const TAG_WIKI_EXCERPT: i64 = 4;
    pub const TAG_WIKI: i64 = 5;
}

/// `Votes.VoteTypeId`.
pub mod vote_type {
    pub const ACCEPTED: i64 = 1;
    pub const UP: i64 = 2;
    pub const DOWN: i64 = 3;
    pub const FAVORITE: i64 = 5;
}

/// `PostHistory.PostHistoryTypeId`.
pub mod history_type {
    pub const INITIAL_TITLE: i64 = 1;
    pub const INITIAL_BODY: i64 = 2;
    pub const INITIAL_TAGS: i64 = 3;
    pub const EDIT_TITLE: i64 = 4;
    pub const EDIT_BODY: i64 = 5;
    pub const EDIT_TAGS: i64 = 6;
    pub const ROLLBACK_TITLE: i64 = 7;
    pub const ROLLBACK_BODY: i64 = 8;
    pub const ROLLBACK_TAGS: i64 = 9;
    pub const CLOSED: i64 = 10;
    pub const REOPENED: i64 = 11;
    pub const DELETED: i64 = 12;
    pub const UNDELETED: i64 = 13;
    pub const LOCKED: i64 = 14;
    pub const UNLOCKED: i64 = 15;
    pub const SUGGESTED_EDIT_APPLIED: i64 = 24;
}

/// `PostLinks.LinkTypeId`.
pub mod link_type {
    pub const LINKED: i64 = 1;
    pub const DUPLICATE: i64 = 3;
}

/// Tags as the dump writes them: `<rust><tokio>` (older dumps), or
/// `|rust|tokio|` (dumps since 2024).
pub fn parse_tags(s: &str) -> Vec<String> {
    s.split(['<', '>', '|'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn format_tags(tags: &[&str]) -> String {
    tags.iter().map(|t| format!("<{t}>")).collect()
}

#[cfg(test)]
mod tests;
