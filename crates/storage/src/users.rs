//! Members, sessions, one-time account tokens and login attempts.

use crate::ledger::{self, Source};
use crate::{id_list, now, prefix_pattern, Result, RowExt, Store};
use guildhall_domain::moderation::{Capability, Sanctions};
use guildhall_domain::reputation::{PlannedEntry, Reason, ReputationRules};
use guildhall_domain::{Actor, DomainError, Role};
use serde::Serialize;
use sqlx::any::AnyRow;

#[derive(Clone, Serialize)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    #[serde(skip)]
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    pub about: String,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub reputation: i64,
    pub location: String,
    pub website: String,
    pub notify_email: bool,
    pub suspended_until: Option<i64>,
    pub suspension_reason: String,
    #[serde(skip)]
    pub blocked_caps: String,
}

/// Leaves out the e-mail address and the password hash, so that a record
/// printed in a log or a test failure gives neither away.
impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("activated_at", &self.activated_at)
            .field("reputation", &self.reputation)
            .field("suspended_until", &self.suspended_until)
            .finish_non_exhaustive()
    }
}

impl UserRecord {
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.id,
            reputation: self.reputation,
            role: self.role,
        }
    }
    pub fn sanctions(&self) -> Sanctions {
        Sanctions {
            suspended_until: self.suspended_until,
            suspension_reason: self.suspension_reason.clone(),
            blocked: Capability::parse_list(&self.blocked_caps),
        }
    }
    fn from_row(r: &AnyRow) -> UserRecord {
        UserRecord {
            id: r.i("id"),
            username: r.s("username"),
            email: r.s("email"),
            password_hash: r.s("password_hash"),
            role: Role::parse(&r.s("role")).unwrap_or(Role::User),
            about: r.s("about"),
            created_at: r.i("created_at"),
            activated_at: r.oi("activated_at"),
            reputation: r.i("reputation"),
            location: r.s("location"),
            website: r.s("website"),
            notify_email: r.i("notify_email") == 1,
            suspended_until: r.oi("suspended_until"),
            suspension_reason: r.s("suspension_reason"),
            blocked_caps: r.s("blocked_caps"),
        }
    }
}

const USER_COLS: &str =
    "u.id, u.username, u.email, u.password_hash, u.role, u.about, u.created_at, u.activated_at, u.reputation, \
     u.location, u.website, u.notify_email, u.suspended_until, u.suspension_reason, u.blocked_caps";

pub fn username_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// How the member directory is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberSort {
    Reputation,
    New,
    Name,
}

impl MemberSort {
    pub const ALL: [MemberSort; 3] = [MemberSort::Reputation, MemberSort::New, MemberSort::Name];
    pub fn parse(s: &str) -> Option<MemberSort> {
        MemberSort::ALL.into_iter().find(|m| m.key() == s)
    }
    pub fn key(self) -> &'static str {
        match self {
            MemberSort::Reputation => "reputation",
            MemberSort::New => "new",
            MemberSort::Name => "name",
        }
    }
}

/// What the member directory shows of a member: public fields only.
#[derive(Debug, Clone, Serialize)]
pub struct MemberCard {
    pub id: i64,
    pub username: String,
    pub reputation: i64,
    pub location: String,
    pub created_at: i64,
    /// Published questions and answers.
    pub questions: i64,
    pub answers: i64,
}

impl Store {
    /// Activated members (not the placeholders an import makes for deleted
    /// accounts) whose name starts with `filter`, one more than `limit` when
    /// there is a next page.
    pub async fn member_directory(
        &self,
        sort: MemberSort,
        filter: &str,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<MemberCard>> {
        let order = match sort {
            MemberSort::Reputation => "u.reputation DESC, u.id",
            MemberSort::New => "u.created_at DESC, u.id DESC",
            MemberSort::Name => "u.username_key",
        };
        let sql = format!(
            "SELECT u.id, u.username, u.reputation, u.location, u.created_at FROM users u
             WHERE u.activated_at IS NOT NULL AND u.username_key LIKE $1 ESCAPE '\\'
               AND NOT EXISTS (SELECT 1 FROM import_map m WHERE m.local_id = u.id AND m.kind = 'ghost')
             ORDER BY {order} LIMIT $2 OFFSET $3"
        );
        let mut cards: Vec<MemberCard> = sqlx::query(&sql)
            .bind(prefix_pattern(&username_key(filter)))
            .bind(limit + 1)
            .bind(offset)
            .fetch_all(self.reader())
            .await?
            .iter()
            .map(|r| MemberCard {
                id: r.i("id"),
                username: r.s("username"),
                reputation: r.i("reputation"),
                location: r.s("location"),
                created_at: r.i("created_at"),
                questions: 0,
                answers: 0,
            })
            .collect();
        if cards.is_empty() {
            return Ok(cards);
        }
        let ids: Vec<i64> = cards.iter().map(|c| c.id).collect();
        let counts = sqlx::query(&format!(
            "SELECT author_id, kind, COUNT(*) AS n FROM posts
             WHERE author_id IN ({}) AND deleted_at IS NULL AND status = 0 GROUP BY author_id, kind",
            id_list(&ids)
        ))
        .fetch_all(self.reader())
        .await?;
        for r in counts {
            if let Some(c) = cards.iter_mut().find(|c| c.id == r.i("author_id")) {
                match r.i("kind") {
                    1 => c.questions = r.i("n"),
                    _ => c.answers = r.i("n"),
                }
            }
        }
        Ok(cards)
    }

    /// Create a member; a taken username or e-mail is a validation error on
    /// that field.
    pub async fn create_user(
        &self,
        username: &str,
        email: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let taken = sqlx::query(
            "SELECT username_key, email FROM users WHERE username_key = $1 OR email = $2",
        )
        .bind(username_key(username))
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = taken {
            let field = if r.s("email") == email {
                "email"
            } else {
                "username"
            };
            return Err(DomainError::validation(field, "taken", None).into());
        }
        let row = sqlx::query(
            "INSERT INTO users (username, username_key, email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(username)
        .bind(username_key(username))
        .bind(email)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.i("id"))
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.id = $1");
        Ok(sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .map(|r| UserRecord::from_row(&r)))
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.email = $1");
        Ok(sqlx::query(&sql)
            .bind(email)
            .fetch_optional(self.reader())
            .await?
            .map(|r| UserRecord::from_row(&r)))
    }

    pub async fn user_by_username(&self, name: &str) -> Result<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLS} FROM users u WHERE u.username_key = $1");
        Ok(sqlx::query(&sql)
            .bind(username_key(name))
            .fetch_optional(self.reader())
            .await?
            .map(|r| UserRecord::from_row(&r)))
    }

    pub async fn list_users(&self, limit: i64, offset: i64) -> Result<Vec<UserRecord>> {
        let sql = format!(
            "SELECT {USER_COLS} FROM users u ORDER BY u.reputation DESC, u.id LIMIT $1 OFFSET $2"
        );
        let rows = sqlx::query(&sql)
            .bind(limit)
            .bind(offset)
            .fetch_all(self.reader())
            .await?;
        Ok(rows.iter().map(UserRecord::from_row).collect())
    }

    pub async fn count_users(&self) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(self.reader())
            .await?;
        Ok(r.i("n"))
    }

    /// Activate an account (once): stamps it and appends the activation row.
    /// Returns false if it was already active.
    pub async fn activate_user(&self, rules: &ReputationRules, user_id: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        ledger::lock_user(&mut tx, user_id).await?;
        let done = sqlx::query(
            "UPDATE users SET activated_at = $1 WHERE id = $2 AND activated_at IS NULL",
        )
        .bind(now())
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let entry = PlannedEntry {
            user_id,
            reason: Reason::Activation,
            amount: rules.activation,
        };
        ledger::append(
            &mut tx,
            rules,
            &[entry],
            Source {
                kind: "activation",
                id: Some(user_id),
                post_id: None,
            },
        )
        .await?;
        ledger::refresh_reputation(&mut tx, rules, user_id).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn set_role(&self, user_id: i64, role: Role) -> Result<bool> {
        let n = sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(user_id)
            .execute(&self.write)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Change a password and end every session of the member.
    pub async fn set_password(&self, user_id: i64, hash: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Update the public profile and the e-mail notification choice.
    pub async fn update_profile(
        &self,
        user_id: i64,
        about: &str,
        location: &str,
        website: &str,
        notify_email: bool,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE users SET about = $1, location = $2, website = $3, notify_email = $4 WHERE id = $5",
        )
        .bind(about)
        .bind(location)
        .bind(website)
        .bind(i64::from(notify_email))
        .bind(user_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    // Sessions ------------------------------------------------------------

    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now())
            .bind(expires_at)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn session_user(&self, token_hash: &str) -> Result<Option<UserRecord>> {
        let sql = format!(
            "SELECT {USER_COLS} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2"
        );
        Ok(sqlx::query(&sql)
            .bind(token_hash)
            .bind(now())
            .fetch_optional(self.reader())
            .await?
            .map(|r| UserRecord::from_row(&r)))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    // One-time tokens (activation, password reset) -------------------------

    pub async fn create_account_token(
        &self,
        token_hash: &str,
        user_id: i64,
        purpose: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(purpose)
        .bind(now())
        .bind(expires_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Use a token once; returns its member if it was valid.
    pub async fn consume_account_token(
        &self,
        token_hash: &str,
        purpose: &str,
    ) -> Result<Option<i64>> {
        let t = now();
        let row = sqlx::query(
            "UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
        )
        .bind(t)
        .bind(token_hash)
        .bind(purpose)
        .fetch_optional(&self.write)
        .await?;
        Ok(row.map(|r| r.i("user_id")))
    }

    // Login rate limiting ---------------------------------------------------

    pub async fn record_login_attempt(&self, key: &str, succeeded: bool) -> Result<()> {
        sqlx::query("INSERT INTO login_attempts (key, at, succeeded) VALUES ($1, $2, $3)")
            .bind(key)
            .bind(now())
            .bind(i64::from(succeeded))
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn failed_logins_since(&self, key: &str, since: i64) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM login_attempts WHERE key = $1 AND at >= $2 AND succeeded = 0")
            .bind(key)
            .bind(since)
            .fetch_one(self.reader())
            .await?;
        Ok(r.i("n"))
    }
}

impl Store {
    /// Remove expired sessions and tokens and login attempts older than
    /// `keep_attempts_secs`; returns how many rows went.
    pub async fn purge_expired(&self, keep_attempts_secs: i64) -> Result<u64> {
        let t = now();
        let mut n = 0;
        n += sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(t)
            .execute(&self.write)
            .await?
            .rows_affected();
        n += sqlx::query("DELETE FROM account_tokens WHERE expires_at <= $1")
            .bind(t)
            .execute(&self.write)
            .await?
            .rows_affected();
        n += sqlx::query("DELETE FROM login_attempts WHERE at < $1")
            .bind(t - keep_attempts_secs)
            .execute(&self.write)
            .await?
            .rows_affected();
        Ok(n)
    }
}
