//! Accounts against a real local SMTP server (tools/mailsink.py, aiosmtpd).

use crate::harness;
use guildhall_domain::ErrorCode;
use guildhall_i18n::Lang;
use guildhall_services::accounts::Registration;
use guildhall_services::mail::MailConfig;
use guildhall_services::{App, ServiceConfig};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub struct MailSink {
    child: Child,
    pub port: u16,
    pub out: PathBuf,
}

impl Drop for MailSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.out);
    }
}

fn python() -> String {
    if let Ok(p) = std::env::var("GUILDHALL_TEST_PYTHON") {
        return p;
    }
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.tools/venv/bin/python");
    if std::path::Path::new(venv).exists() {
        return venv.to_string();
    }
    "python3".to_string()
}

/// Start the SMTP sink, or skip (loudly; fail under CI) without aiosmtpd.
pub fn mail_sink() -> Option<MailSink> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = harness::scratch("mail").with_extension("jsonl");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tools/mailsink.py");
    let mut child = Command::new(python())
        .args([script, "--port", &port.to_string(), "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut line = String::new();
    let _ = std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
    if line.trim() != "ready" {
        let _ = child.kill();
        let mut err = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("the SMTP test server did not start (run scripts/setup): {err}");
        }
        eprintln!("\n!!! mail tests SKIPPED: the SMTP test server did not start (run scripts/setup): {err}\n");
        return None;
    }
    Some(MailSink { child, port, out })
}

impl MailSink {
    pub fn messages(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The token of the last link to `path` mailed to `to`.
    pub async fn token(&self, to: &str, path: &str) -> String {
        for _ in 0..100 {
            let found = self.messages().into_iter().rev().find_map(|m| {
                let to_ok = m["to"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|t| t == to));
                let body = m["body"].as_str().unwrap_or_default().to_string();
                let at = body.find(&format!("{path}/"))?;
                to_ok.then(|| {
                    body[at + path.len() + 1..]
                        .chars()
                        .take_while(|c| c.is_ascii_hexdigit())
                        .collect::<String>()
                })
            });
            if let Some(t) = found {
                return t;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail with {path} to {to}: {:?}", self.messages());
    }
}

fn config(sink: &MailSink) -> ServiceConfig {
    ServiceConfig {
        mail: MailConfig {
            smtp: Some(format!("127.0.0.1:{}", sink.port)),
            from: None,
        },
        login_max_failures: 3,
        ..Default::default()
    }
}

async fn account_flow(app: App, sink: &MailSink) {
    let reg = Registration {
        username: "newcomer",
        email: "New@Example.org",
        password: "correct horse",
    };
    let id = app.register(&reg, Lang::En).await.unwrap();
    // Not active yet: reputation 0, no login.
    assert_eq!(
        app.store.user_by_id(id).await.unwrap().unwrap().reputation,
        0
    );
    assert_eq!(
        app.login("newcomer", "correct horse", "1.1.1.1")
            .await
            .err()
            .unwrap()
            .code(),
        ErrorCode::NotActivated
    );
    // The same e-mail or username again is refused on that field.
    let dup = Registration {
        username: "someone",
        email: "new@example.org",
        password: "correct horse",
    };
    assert_eq!(
        app.register(&dup, Lang::En).await.unwrap_err().code(),
        ErrorCode::Validation
    );

    let token = sink.token("new@example.org", "/activate").await;
    let session = app.activate(&token).await.unwrap();
    assert_eq!(session.user.reputation, 1, "activation is worth +1");
    assert_eq!(
        app.activate(&token).await.err().unwrap().code(),
        ErrorCode::TokenInvalid,
        "tokens are single-use"
    );
    assert_eq!(
        app.session_user(&session.token).await.unwrap().unwrap().id,
        id
    );

    let s2 = app
        .login("new@example.org", "correct horse", "1.1.1.1")
        .await
        .unwrap();
    app.logout(&s2.token).await.unwrap();
    assert!(app.session_user(&s2.token).await.unwrap().is_none());

    // Password reset by mail; old sessions end.
    app.request_password_reset("new@example.org", Lang::ZhCn)
        .await
        .unwrap();
    let reset = sink.token("new@example.org", "/reset").await;
    let zh = sink.messages().into_iter().last().unwrap();
    assert!(
        zh["subject"].as_str().unwrap().contains("重置"),
        "the reset mail is in the asker's language: {zh}"
    );
    app.reset_password(&reset, "a new password").await.unwrap();
    assert!(app.session_user(&session.token).await.unwrap().is_none());
    assert_eq!(
        app.login("newcomer", "correct horse", "1.1.1.2")
            .await
            .err()
            .unwrap()
            .code(),
        ErrorCode::InvalidCredentials
    );
    app.login("newcomer", "a new password", "1.1.1.2")
        .await
        .unwrap();

    // Rate limit: 3 failures per account in the window (one happened above),
    // then even the right password is refused unchecked.
    for _ in 0..2 {
        assert_eq!(
            app.login("newcomer", "wrong password", "2.2.2.2")
                .await
                .err()
                .unwrap()
                .code(),
            ErrorCode::InvalidCredentials
        );
    }
    assert_eq!(
        app.login("newcomer", "a new password", "2.2.2.2")
            .await
            .err()
            .unwrap()
            .code(),
        ErrorCode::RateLimited
    );
    // The password hash is argon2 and never the password itself.
    let u = app.store.user_by_id(id).await.unwrap().unwrap();
    assert!(
        u.password_hash.starts_with("$argon2id$") && !u.password_hash.contains("a new password")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_over_real_smtp_sqlite() {
    let Some(sink) = mail_sink() else { return };
    let app = harness::sqlite(config(&sink)).await;
    account_flow(app, &sink).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_over_real_smtp_postgres() {
    let Some(sink) = mail_sink() else { return };
    let Some(store) = harness::postgres_store().await else {
        return;
    };
    let app = harness::app_on(store, config(&sink)).await;
    account_flow(app, &sink).await;
}
