use guildhall_domain::Role;
use guildhall_services::community::QuestionForm;
use guildhall_services::App;
use guildhall_storage::users::UserRecord;
use std::sync::atomic::{AtomicUsize, Ordering};

static N: AtomicUsize = AtomicUsize::new(0);

pub async fn user(app: &App, name: &str) -> UserRecord {
    app.create_active_user(
        name,
        &format!("{name}@test.localhost"),
        "password123",
        Role::User,
    )
    .await
    .expect("user")
}

pub async fn admin(app: &App) -> UserRecord {
    let n = N.fetch_add(1, Ordering::SeqCst);
    app.create_active_user(
        &format!("admin{n}"),
        &format!("admin{n}@test.localhost"),
        "password123",
        Role::Administrator,
    )
    .await
    .expect("admin")
}

pub async fn fresh(app: &App, u: &UserRecord) -> UserRecord {
    app.store.user_by_id(u.id).await.unwrap().unwrap()
}

/// A community with one tag, `general`, where new members' posts are
/// published at once (the review center's tests turn review on).
pub async fn world(app: &App) -> UserRecord {
    let a = admin(app).await;
    let mut s = (*app.settings()).clone();
    s.review.first_questions_reviewed = 0;
    s.review.first_answers_reviewed = 0;
    s.review.late_answer_days = 36_500;
    app.store.save_settings(&s, None).await.unwrap();
    app.reload_settings().await.unwrap();
    app.create_tag(&a, "general", "General questions")
        .await
        .unwrap();
    a
}

pub fn form(title: &str) -> QuestionForm {
    QuestionForm {
        title: title.to_string(),
        body: "A body that is long enough to pass validation.".into(),
        tags: "general".into(),
    }
}

pub const BODY: &str = "An answer body that is long enough to pass.";

/// Give `u` reputation the way the rules allow: `times` accepted answers
/// (+15 each, exempt from the daily cap).
pub async fn earn(app: &App, u: &UserRecord, times: usize) -> UserRecord {
    let n = N.fetch_add(1, Ordering::SeqCst);
    let asker = user(app, &format!("helper{n}")).await;
    for i in 0..times {
        let q = app
            .ask(&asker, &form(&format!("Helper question number {i}")))
            .await
            .unwrap();
        let a = app.answer(u, q, BODY).await.unwrap();
        app.accept(&asker, q, Some(a)).await.unwrap();
    }
    fresh(app, u).await
}

/// Assert that every cache agrees with its ledger.
pub async fn assert_consistent(app: &App) {
    let report = app.recompute(false).await.unwrap();
    assert!(
        report.differences.is_empty(),
        "caches differ from ledgers: {:?}",
        report.differences
    );
    assert!(
        report.review_mismatches.is_empty(),
        "review outcomes differ from their votes: {:?}",
        report.review_mismatches
    );
}
