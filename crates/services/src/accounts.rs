//! Registration, activation, login, sessions and password reset.

use crate::{App, Result, ServiceError};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use guildhall_domain::{validation, DomainError, ErrorCode, Role};
use guildhall_i18n::{tf, Lang};
use guildhall_storage::now;
use guildhall_storage::users::{MemberCard, MemberSort, UserRecord};
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

const ACTIVATE: &str = "activate";
const RESET: &str = "reset";
const TOKEN_HOURS: i64 = 48;

/// A fresh random token (sent to the person) and its hash (stored).
pub fn new_token() -> (String, String) {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    let token = hex::encode(b);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn hash_password(pw: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("argon2: {e}")))
}

fn verify_password(pw: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
}

/// A page of the member directory.
#[derive(Debug, Clone, Serialize)]
pub struct MemberDirectory {
    pub sort: MemberSort,
    pub filter: String,
    pub page: i64,
    pub has_next: bool,
    pub members: Vec<MemberCard>,
}

impl App {
    /// Members by reputation (default), newest or name, whose name starts
    /// with `filter`.
    pub async fn member_directory(
        &self,
        sort: Option<&str>,
        filter: &str,
        page: i64,
    ) -> Result<MemberDirectory> {
        const PER_PAGE: i64 = 36;
        let sort = sort
            .and_then(MemberSort::parse)
            .unwrap_or(MemberSort::Reputation);
        let filter = crate::directory_filter(filter);
        let page = page.max(1);
        let rows = self
            .store
            .member_directory(sort, &filter, PER_PAGE, (page - 1) * PER_PAGE)
            .await?;
        let (members, has_next) = crate::paged(rows, PER_PAGE);
        Ok(MemberDirectory {
            sort,
            filter,
            page,
            has_next,
            members,
        })
    }
}

pub struct Registration<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

/// A logged-in session: the raw token goes into the cookie or the API client.
pub struct Session {
    pub token: String,
    pub user: UserRecord,
}

/// Never prints the token: it is the member's key.
impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("token", &"…")
            .field("user", &self.user.username)
            .finish()
    }
}

impl App {
    /// Register a member and mail the activation link.
    pub async fn register(&self, r: &Registration<'_>, lang: Lang) -> Result<i64> {
        let username = validation::username(r.username)?;
        let email = validation::email(r.email)?;
        validation::password(r.password)?;
        let hash = hash_password(r.password)?;
        let id = self
            .store
            .create_user(&username, &email, &hash, Role::User)
            .await?;
        self.send_activation(id, &username, &email, lang).await?;
        tracing::info!(user = id, "registered");
        Ok(id)
    }

    async fn send_activation(
        &self,
        id: i64,
        username: &str,
        email: &str,
        lang: Lang,
    ) -> Result<()> {
        let (token, hash) = new_token();
        self.store
            .create_account_token(&hash, id, ACTIVATE, now() + TOKEN_HOURS * 3600)
            .await?;
        let link = format!("{}/activate/{token}", self.config.base_url);
        let subject = tf(lang, "mail.activate.subject", &[]);
        let body = tf(
            lang,
            "mail.activate.body",
            &[("name", username), ("link", &link)],
        );
        self.send_mail(email, &subject, &body).await
    }

    async fn send_mail(&self, to: &str, subject: &str, body: &str) -> Result<()> {
        self.mailer.send(to, subject, body).await.map_err(|e| {
            tracing::error!(error = %e, "mail not sent");
            ServiceError::Internal(format!("mail: {e}"))
        })
    }

    /// Send the activation mail again (quietly does nothing for unknown or
    /// active accounts, so it reveals nothing).
    pub async fn resend_activation(&self, email: &str, lang: Lang) -> Result<()> {
        let Ok(email) = validation::email(email) else {
            return Ok(());
        };
        if let Some(u) = self.store.user_by_email(&email).await? {
            if u.activated_at.is_none() {
                self.send_activation(u.id, &u.username, &u.email, lang)
                    .await?;
            }
        }
        Ok(())
    }

    /// Activate with a mailed token (+1 reputation) and log in.
    pub async fn activate(&self, token: &str) -> Result<Session> {
        let user_id = self
            .store
            .consume_account_token(&hash_token(token), ACTIVATE)
            .await?
            .ok_or(ErrorCode::TokenInvalid)?;
        self.store
            .activate_user(&self.settings().reputation, user_id)
            .await?;
        self.start_session(user_id).await
    }

    async fn start_session(&self, user_id: i64) -> Result<Session> {
        let (token, hash) = new_token();
        self.store
            .create_session(&hash, user_id, now() + self.config.session_days * 86_400)
            .await?;
        let user = self
            .store
            .user_by_id(user_id)
            .await?
            .ok_or(ErrorCode::NotFound)?;
        Ok(Session { token, user })
    }

    /// Log in by e-mail or username. Failures are counted per account and
    /// per client address; past the limit, attempts are refused unchecked.
    /// Refuse while this account or client has failed too often lately.
    async fn check_attempts(&self, account_key: &str, ip_key: &str) -> Result<()> {
        let since = now() - self.config.login_window_secs;
        if self.store.failed_logins_since(account_key, since).await?
            >= self.config.login_max_failures
            || self.store.failed_logins_since(ip_key, since).await?
                >= self.config.login_max_failures_per_ip
        {
            return Err(ErrorCode::RateLimited.into());
        }
        Ok(())
    }

    pub async fn login(&self, login: &str, password: &str, client: &str) -> Result<Session> {
        let login = login.trim();
        let account_key = format!("account:{}", login.to_lowercase());
        let ip_key = format!("ip:{client}");
        self.check_attempts(&account_key, &ip_key).await?;
        let user = if login.contains('@') {
            self.store.user_by_email(&login.to_lowercase()).await?
        } else {
            self.store.user_by_username(login).await?
        };
        let ok = match &user {
            Some(u) => verify_password(password, &u.password_hash),
            None => {
                // Spend the same time as a real check, so timing does not
                // reveal which accounts exist.
                let _ = hash_password(password);
                false
            }
        };
        self.store.record_login_attempt(&account_key, ok).await?;
        self.store.record_login_attempt(&ip_key, ok).await?;
        let user = match (ok, user) {
            (true, Some(u)) => u,
            _ => return Err(ErrorCode::InvalidCredentials.into()),
        };
        if user.activated_at.is_none() {
            return Err(ErrorCode::NotActivated.into());
        }
        self.start_session(user.id).await
    }

    /// Change a logged-in member's password: the current one must be right
    /// (wrong guesses count as failed logins, so a stolen session cannot
    /// try them freely). Every session ends; the returned one replaces the
    /// session that asked.
    pub async fn change_password(
        &self,
        user: &UserRecord,
        current: &str,
        new: &str,
        client: &str,
    ) -> Result<Session> {
        let account_key = format!("account:{}", user.username.to_lowercase());
        let ip_key = format!("ip:{client}");
        self.check_attempts(&account_key, &ip_key).await?;
        let stored = self
            .store
            .user_by_id(user.id)
            .await?
            .ok_or(ErrorCode::NotFound)?;
        if !verify_password(current, &stored.password_hash) {
            self.store.record_login_attempt(&account_key, false).await?;
            self.store.record_login_attempt(&ip_key, false).await?;
            return Err(DomainError::validation("current_password", "incorrect", None).into());
        }
        validation::password(new)?;
        self.store
            .set_password(user.id, &hash_password(new)?)
            .await?;
        self.start_session(user.id).await
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        Ok(self.store.delete_session(&hash_token(token)).await?)
    }

    /// The member behind a session token, if it is valid.
    pub async fn session_user(&self, token: &str) -> Result<Option<UserRecord>> {
        if token.len() != 64 {
            return Ok(None);
        }
        Ok(self.store.session_user(&hash_token(token)).await?)
    }

    /// Mail a reset link (reveals nothing about whether the address exists).
    pub async fn request_password_reset(&self, email: &str, lang: Lang) -> Result<()> {
        let Ok(email) = validation::email(email) else {
            return Ok(());
        };
        if let Some(u) = self.store.user_by_email(&email).await? {
            let (token, hash) = new_token();
            self.store
                .create_account_token(&hash, u.id, RESET, now() + 2 * 3600)
                .await?;
            let link = format!("{}/reset/{token}", self.config.base_url);
            let subject = tf(lang, "mail.reset.subject", &[]);
            let body = tf(
                lang,
                "mail.reset.body",
                &[("name", &u.username), ("link", &link)],
            );
            self.send_mail(&u.email, &subject, &body).await?;
        }
        Ok(())
    }

    /// Set a new password with a mailed token; ends all other sessions.
    pub async fn reset_password(&self, token: &str, password: &str) -> Result<()> {
        validation::password(password)?;
        let user_id = self
            .store
            .consume_account_token(&hash_token(token), RESET)
            .await?
            .ok_or(ErrorCode::TokenInvalid)?;
        let hash = hash_password(password)?;
        self.store.set_password(user_id, &hash).await?;
        // A reset proves control of the mailbox, so it also activates.
        self.store
            .activate_user(&self.settings().reputation, user_id)
            .await?;
        Ok(())
    }

    /// Create an activated administrator (from the command line).
    pub async fn create_admin(&self, username: &str, email: &str, password: &str) -> Result<i64> {
        let username = validation::username(username)?;
        let email = validation::email(email)?;
        validation::password(password)?;
        let hash = hash_password(password)?;
        let id = self
            .store
            .create_user(&username, &email, &hash, Role::Administrator)
            .await?;
        self.store
            .activate_user(&self.settings().reputation, id)
            .await?;
        Ok(id)
    }

    /// Create an activated member directly (demo content, tests).
    pub async fn create_active_user(
        &self,
        username: &str,
        email: &str,
        password: &str,
        role: Role,
    ) -> Result<UserRecord> {
        let hash = hash_password(password)?;
        let id = self
            .store
            .create_user(
                &validation::username(username)?,
                &validation::email(email)?,
                &hash,
                role,
            )
            .await?;
        self.store
            .activate_user(&self.settings().reputation, id)
            .await?;
        self.store
            .user_by_id(id)
            .await?
            .ok_or_else(|| DomainError::NotFound("user").into())
    }
}

impl App {
    /// Update the public profile (about, location, website) and whether
    /// notifications are also sent by e-mail.
    pub async fn update_profile(
        &self,
        user: &UserRecord,
        about: &str,
        location: &str,
        website: &str,
        notify_email: bool,
    ) -> Result<()> {
        let (about, location, website) =
            self.settings().limits.profile(about, location, website)?;
        self.store
            .update_profile(user.id, &about, &location, &website, notify_email)
            .await?;
        self.mark_dirty(&[user.id]);
        Ok(())
    }
}
