//! Storage and service tests, each run on SQLite and on PostgreSQL.
mod harness;

mod accounts;
mod analytics;
mod community;
mod concurrency;
mod fixtures;
mod import;
mod nodes;
mod property;
mod review;
mod search;
mod search_corpus;
