//! The review center end to end: each queue, flags, moderator tools,
//! notifications and badges, on SQLite and PostgreSQL.

use crate::fixtures::*;
use crate::on_both;
use guildhall_domain::votes::VoteValue::Up;
use guildhall_domain::{ErrorCode, Privilege};
use guildhall_services::community::EditOutcome;
use guildhall_services::App;
use guildhall_storage::content::{status, QuestionSort};
use guildhall_storage::review::VoteInput;
use guildhall_storage::users::UserRecord;

/// Reviewers at 16 reputation (first posts) and 31 (edits, close votes),
/// with pre-publish review on and low thresholds so tests stay small.
struct Crowd {
    admin: UserRecord,
    /// 16 reputation: reviews first posts, suggests edits.
    juniors: Vec<UserRecord>,
    /// 31 reputation: reviews edits, votes to close.
    seniors: Vec<UserRecord>,
}

async fn crowd(app: &App) -> Crowd {
    let admin = world(app).await;
    let mut juniors = Vec::new();
    let mut seniors = Vec::new();
    for i in 0..2 {
        juniors.push(earn(app, &user(app, &format!("junior{i}")).await, 1).await);
    }
    for i in 0..4 {
        seniors.push(earn(app, &user(app, &format!("senior{i}")).await, 2).await);
    }
    let mut s = (*app.settings()).clone();
    s.review = Default::default();
    let t = &mut s.privileges.thresholds;
    t.insert(Privilege::EditTags, 5);
    t.insert(Privilege::EditOthers, 5);
    t.insert(Privilege::ReviewFirstPosts, 10);
    t.insert(Privilege::ReviewEdits, 20);
    t.insert(Privilege::ReviewTagWiki, 20);
    t.insert(Privilege::Trusted, 1000);
    s.privileges.preset = None;
    app.store.save_settings(&s, None).await.unwrap();
    app.reload_settings().await.unwrap();
    Crowd {
        admin,
        juniors,
        seniors,
    }
}

fn reason(r: &str) -> VoteInput<'_> {
    VoteInput {
        reason: r,
        ..Default::default()
    }
}

async fn item_of(app: &App, post: i64) -> i64 {
    app.latest_review_of(post).await.unwrap().unwrap().id
}

on_both!(first_posts_wait_for_review, |app: App| async move {
    let c = crowd(&app).await;
    let newbie = user(&app, "newbie").await;
    let tagged = app.tag("general").await.unwrap().question_count;
    let q = app
        .ask(&newbie, &form("My very first question here"))
        .await
        .unwrap();
    // Waiting: only its author (and reviewers) see it; it is not listed or counted.
    assert_eq!(app.post(q).await.unwrap().status, status::PENDING);
    assert_eq!(
        app.question(q, None).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert!(app.question(q, Some(&newbie)).await.is_ok());
    let listed = app
        .questions(QuestionSort::Newest, None, 1, 50)
        .await
        .unwrap();
    assert!(listed.questions.iter().all(|p| p.id != q));
    assert_eq!(app.tag("general").await.unwrap().question_count, tagged);

    let item = item_of(&app, q).await;
    // Refusals change nothing.
    let low = user(&app, "low").await;
    assert_eq!(
        app.review_vote(&low, item, "approve", &reason(""))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PrivilegeMissing
    );
    assert_eq!(
        app.review_vote(&newbie, item, "approve", &reason(""))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PrivilegeMissing
    );
    assert_eq!(
        app.review_vote(&c.juniors[0], item, "reject", &reason("boring"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Validation
    );
    assert_eq!(
        app.review_vote(&c.juniors[0], item, "maybe", &reason(""))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Validation
    );
    // One approval publishes it.
    let r = app
        .review_vote(&c.juniors[0], item, "approve", &reason(""))
        .await
        .unwrap();
    assert!(r.decided.is_some());
    assert_eq!(
        app.review_vote(&c.juniors[1], item, "approve", &reason(""))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::ItemDecided
    );
    assert_eq!(app.post(q).await.unwrap().status, status::PUBLISHED);
    assert!(app.question(q, None).await.is_ok());
    assert_eq!(app.tag("general").await.unwrap().question_count, tagged + 1);
    let inbox = app.inbox(&newbie).await.unwrap();
    assert!(inbox.iter().any(|n| n.kind == "post_approved"));
    // The second question is published at once; the first answer waits.
    let q2 = app
        .ask(&newbie, &form("My second question is direct"))
        .await
        .unwrap();
    assert_eq!(app.post(q2).await.unwrap().status, status::PUBLISHED);
    let a = app.answer(&newbie, q2, BODY).await.unwrap();
    assert_eq!(app.post(a).await.unwrap().status, status::PENDING);
    assert_eq!(app.post(q2).await.unwrap().answer_count, 0);
    // Two rejections decide; one does not.
    let item = item_of(&app, a).await;
    assert!(app
        .review_vote(&c.juniors[0], item, "reject", &reason("spam"))
        .await
        .unwrap()
        .decided
        .is_none());
    assert_eq!(
        app.review_vote(&c.juniors[0], item, "reject", &reason("spam"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::AlreadyReviewed
    );
    assert!(app
        .review_vote(&c.juniors[1], item, "reject", &reason("incomplete"))
        .await
        .unwrap()
        .decided
        .is_some());
    let decided = app.latest_review_of(a).await.unwrap().unwrap();
    assert_eq!(
        (decided.outcome.as_str(), decided.outcome_reason.as_str()),
        ("reject", "spam")
    );
    assert_eq!(app.post(a).await.unwrap().status, status::REJECTED);
    assert_eq!(app.post(q2).await.unwrap().answer_count, 0);
    assert_consistent(&app).await;
});

on_both!(request_changes_then_resubmit, |app: App| async move {
    let c = crowd(&app).await;
    let newbie = user(&app, "learner").await;
    let q = app
        .ask(&newbie, &form("Question that needs more detail"))
        .await
        .unwrap();
    let item = item_of(&app, q).await;
    let ask = VoteInput {
        message: "Please add the error message you see.",
        ..Default::default()
    };
    app.review_vote(&c.juniors[0], item, "request_changes", &ask)
        .await
        .unwrap();
    assert_eq!(app.post(q).await.unwrap().status, status::CHANGES_REQUESTED);
    let inbox = app.inbox(&newbie).await.unwrap();
    let n = inbox
        .iter()
        .find(|n| n.kind == "post_changes_requested")
        .unwrap();
    assert!(n.detail.contains("error message"));
    // Editing resubmits: a new item in the same queue.
    let mut f = form("Question that needs more detail");
    f.body = "Now with the error: `database is locked` when two tasks write.".into();
    app.edit(&newbie, q, &f, "added the error").await.unwrap();
    assert_eq!(app.post(q).await.unwrap().status, status::PENDING);
    let again = item_of(&app, q).await;
    assert_ne!(again, item);
    app.review_vote(&c.juniors[1], again, "approve", &reason(""))
        .await
        .unwrap();
    assert_eq!(app.post(q).await.unwrap().status, status::PUBLISHED);
    assert_consistent(&app).await;
});

on_both!(suggested_edits_need_two_approvals, |app: App| async move {
    let c = crowd(&app).await;
    let author = &c.seniors[3];
    let q = app
        .ask(author, &form("A question with a typo in it"))
        .await
        .unwrap();
    let editor = &c.juniors[0];
    let before = fresh(&app, editor).await.reputation;
    let mut f = form("A question without a typo in it");
    let out = app.edit(editor, q, &f, "fix typo").await.unwrap();
    let EditOutcome::Suggested { item_id } = out else {
        panic!("expected a suggestion, got {out:?}")
    };
    assert_eq!(
        app.post(q).await.unwrap().title,
        "A question with a typo in it"
    );
    // A second suggestion while one waits is refused.
    assert_eq!(
        app.edit(&c.juniors[1], q, &f, "").await.unwrap_err().code(),
        ErrorCode::Conflict
    );
    // Juniors may not review edits; the editor may not review their own.
    assert_eq!(
        app.review_vote(&c.juniors[1], item_id, "approve", &reason(""))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PrivilegeMissing
    );
    assert!(app
        .review_vote(&c.seniors[0], item_id, "approve", &reason(""))
        .await
        .unwrap()
        .decided
        .is_none());
    assert!(app
        .review_vote(&c.seniors[1], item_id, "approve", &reason(""))
        .await
        .unwrap()
        .decided
        .is_some());
    let post = app.post(q).await.unwrap();
    assert_eq!(post.title, "A question without a typo in it");
    let revs = app.store.revisions(q).await.unwrap();
    assert_eq!(revs.last().unwrap().author_id, editor.id);
    assert_eq!(fresh(&app, editor).await.reputation, before + 2);
    let ledger = app.store.reputation_history(editor.id, 1, 0).await.unwrap();
    assert_eq!(
        (ledger[0].reason.as_str(), ledger[0].source.as_str()),
        ("suggested_edit_approved", "review")
    );

    // The post's author rejects the next suggestion alone: −2.
    f.title = "A question made worse by an edit".into();
    let EditOutcome::Suggested { item_id } = app.edit(editor, q, &f, "").await.unwrap() else {
        panic!()
    };
    let r = app
        .review_vote(author, item_id, "reject", &reason(""))
        .await
        .unwrap();
    assert!(r.decided.is_some());
    assert_eq!(fresh(&app, editor).await.reputation, before);
    assert_eq!(
        app.post(q).await.unwrap().title,
        "A question without a typo in it"
    );

    // Tag wiki: a suggestion, two approvals, +2 and a kept version.
    let item = app
        .edit_tag(editor, "general", "Anything that fits no other tag.", "")
        .await
        .unwrap()
        .unwrap();
    app.review_vote(&c.seniors[0], item, "approve", &reason(""))
        .await
        .unwrap();
    app.review_vote(&c.seniors[1], item, "approve", &reason(""))
        .await
        .unwrap();
    assert_eq!(
        app.tag("general").await.unwrap().description,
        "Anything that fits no other tag."
    );
    assert_eq!(fresh(&app, editor).await.reputation, before + 2);
    assert_consistent(&app).await;
});

on_both!(close_reopen_and_delete_by_votes, |app: App| async move {
    let c = crowd(&app).await;
    let author = &c.juniors[0];
    let original = app
        .ask(author, &form("The original question"))
        .await
        .unwrap();
    let q = app
        .ask(author, &form("The same question again"))
        .await
        .unwrap();
    let dup = VoteInput {
        reason: "duplicate",
        duplicate_of: Some(original),
        ..Default::default()
    };
    // Below the privilege, or without a known reason: refused.
    assert_eq!(
        app.dispute(&c.juniors[1], q, "close", &dup)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::PrivilegeMissing
    );
    assert_eq!(
        app.dispute(&c.seniors[0], q, "close", &reason("ugly"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Validation
    );
    assert_eq!(
        app.dispute(&c.seniors[0], q, "delete", &reason(""))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::NotEligible
    );
    app.dispute(&c.seniors[0], q, "close", &dup).await.unwrap();
    app.dispute(&c.seniors[1], q, "close", &reason("off_topic"))
        .await
        .unwrap();
    assert_eq!(app.disputes_on(q).await.unwrap()[0].votes.len(), 2);
    assert!(app.post(q).await.unwrap().closed_at.is_none());
    let r = app.dispute(&c.seniors[2], q, "close", &dup).await.unwrap();
    assert!(r.decided.is_some());
    let p = app.post(q).await.unwrap();
    assert!(p.closed_at.is_some());
    assert_eq!(
        (p.close_reason.as_str(), p.duplicate_of),
        ("duplicate", Some(original))
    );
    assert_eq!(
        app.answer(&c.seniors[3], q, BODY).await.unwrap_err().code(),
        ErrorCode::Closed
    );
    assert!(app
        .inbox(author)
        .await
        .unwrap()
        .iter()
        .any(|n| n.kind == "post_closed"));
    // Reopen by three votes.
    for s in &c.seniors[..3] {
        app.dispute(s, q, "reopen", &reason("")).await.unwrap();
    }
    assert!(app.post(q).await.unwrap().closed_at.is_none());
    // Closed again, then deleted by votes.
    for s in &c.seniors[1..4] {
        app.dispute(s, q, "close", &reason("needs_details"))
            .await
            .unwrap();
    }
    for s in &c.seniors[..3] {
        app.dispute(s, q, "delete", &reason("")).await.unwrap();
    }
    assert!(app.post(q).await.unwrap().deleted_at.is_some());
    assert_eq!(
        app.flag(&c.seniors[0], q, "spam", "")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Deleted
    );
    assert_consistent(&app).await;
});

on_both!(
    flags_hide_at_six_and_moderators_decide,
    |app: App| async move {
        let c = crowd(&app).await;
        let spammer = &c.juniors[0];
        let q = app
            .ask(&c.seniors[0], &form("A question that attracts spam"))
            .await
            .unwrap();
        let a = app
            .answer(spammer, q, "Buy cheap watches at example dot com today!")
            .await
            .unwrap();
        let before = fresh(&app, spammer).await.reputation;
        assert_eq!(
            app.flag(spammer, a, "spam", "").await.unwrap_err().code(),
            ErrorCode::OwnPost
        );
        assert_eq!(
            app.flag(&c.seniors[0], a, "needs_moderator", " ")
                .await
                .unwrap_err()
                .code(),
            ErrorCode::Validation
        );
        assert_eq!(
            app.flag(&c.seniors[0], a, "funny", "")
                .await
                .unwrap_err()
                .code(),
            ErrorCode::Validation
        );
        let mut flaggers = Vec::new();
        for i in 0..6 {
            flaggers.push(user(&app, &format!("flagger{i}")).await);
        }
        for (i, f) in flaggers.iter().enumerate() {
            let r = app
                .flag(f, a, if i % 2 == 0 { "spam" } else { "rude" }, "")
                .await
                .unwrap();
            assert_eq!(r.hidden, i == 5, "flag {i}");
        }
        assert_eq!(
            app.flag(&flaggers[0], a, "spam", "")
                .await
                .unwrap_err()
                .code(),
            ErrorCode::AlreadyFlagged
        );
        let p = app.post(a).await.unwrap();
        assert_eq!(p.status, status::HIDDEN);
        assert!(p.locked_at.is_some());
        assert_eq!(app.post(q).await.unwrap().answer_count, 0);
        assert_eq!(fresh(&app, spammer).await.reputation, (before - 100).max(1));
        assert_consistent(&app).await;
        // Only moderators decide flags.
        assert_eq!(
            app.resolve_flags(&c.seniors[0], a, false)
                .await
                .unwrap_err()
                .code(),
            ErrorCode::Forbidden
        );
        assert_eq!(app.flagged_posts(&c.admin).await.unwrap()[0].flags.len(), 6);
        // Clearing restores the post and reverses the penalty exactly.
        app.resolve_flags(&c.admin, a, false).await.unwrap();
        let p = app.post(a).await.unwrap();
        assert_eq!((p.status, p.locked_at), (status::PUBLISHED, None));
        assert_eq!(fresh(&app, spammer).await.reputation, before);
        assert_eq!(app.post(q).await.unwrap().answer_count, 1);
        assert_eq!(
            app.resolve_flags(&c.admin, a, false)
                .await
                .unwrap_err()
                .code(),
            ErrorCode::ItemDecided
        );
        // Flagged away again and confirmed: deleted, flags helpful.
        for f in &flaggers {
            app.flag(f, a, "spam", "").await.unwrap();
        }
        app.resolve_flags(&c.admin, a, true).await.unwrap();
        assert!(app.post(a).await.unwrap().deleted_at.is_some());
        assert_eq!(fresh(&app, spammer).await.reputation, (before - 100).max(1));
        let log = app.audit_log(&c.admin, 1).await.unwrap();
        assert!(log.iter().any(|r| r.action == "flags_confirmed"));
        assert!(log.iter().any(|r| r.action == "post_hidden_by_flags"));
        assert_consistent(&app).await;
    }
);

on_both!(
    deciding_votes_at_the_same_instant_apply_once,
    |app: App| async move {
        let c = crowd(&app).await;
        let q = app
            .ask(&c.seniors[3], &form("A question to be edited"))
            .await
            .unwrap();
        let editor = &c.juniors[0];
        let before = fresh(&app, editor).await.reputation;
        let f = form("A question that was edited");
        let EditOutcome::Suggested { item_id } = app.edit(editor, q, &f, "").await.unwrap() else {
            panic!()
        };
        app.review_vote(&c.seniors[0], item_id, "approve", &reason(""))
            .await
            .unwrap();
        let tasks: Vec<_> = [c.seniors[1].clone(), c.seniors[2].clone()]
            .into_iter()
            .map(|r| {
                let app = app.clone();
                tokio::spawn(
                    async move { app.review_vote(&r, item_id, "approve", &reason("")).await },
                )
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(r) => {
                    assert!(r.decided.is_some());
                    ok += 1;
                }
                Err(e) => assert_eq!(e.code(), ErrorCode::ItemDecided),
            }
        }
        assert_eq!(ok, 1);
        assert_eq!(fresh(&app, editor).await.reputation, before + 2);
        assert_eq!(app.store.revisions(q).await.unwrap().len(), 2);
        assert_consistent(&app).await;
    }
);

on_both!(moderator_tools, |app: App| async move {
    let c = crowd(&app).await;
    let m = &c.admin;
    let u = &c.juniors[0];
    let q = app
        .ask(&c.seniors[0], &form("A question about moderation"))
        .await
        .unwrap();
    // Non-moderators cannot use them.
    assert_eq!(
        app.suspend(&c.seniors[0], &u.username, 3, "spam")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Forbidden
    );
    assert_eq!(
        app.suspend(m, &u.username, 0, "spam")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Validation
    );
    app.suspend(m, &u.username, 3, "Posting spam links")
        .await
        .unwrap();
    let su = fresh(&app, u).await;
    assert_eq!(su.suspension_reason, "Posting spam links");
    assert_eq!(
        app.ask(&su, &form("Trying to post while out"))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Suspended
    );
    assert!(app
        .inbox(&su)
        .await
        .unwrap()
        .iter()
        .any(|n| n.kind == "suspended"));
    app.unsuspend(m, &u.username).await.unwrap();
    // One capability switched off: votes refused, questions fine.
    app.set_capabilities(m, &u.username, &["vote".into()])
        .await
        .unwrap();
    let su = fresh(&app, u).await;
    assert_eq!(
        app.vote(&su, q, Up).await.unwrap_err().code(),
        ErrorCode::CapabilityBlocked
    );
    assert!(app
        .ask(&su, &form("Still allowed to ask this"))
        .await
        .is_ok());
    assert_eq!(
        app.set_capabilities(m, &u.username, &["fly".into()])
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Validation
    );
    app.set_capabilities(m, &u.username, &[]).await.unwrap();
    // Lock: no comments, answers or votes.
    app.set_locked(m, q, true).await.unwrap();
    let su = fresh(&app, u).await;
    assert_eq!(
        app.comment(&su, q, "A comment on a locked post")
            .await
            .unwrap_err()
            .code(),
        ErrorCode::Locked
    );
    assert_eq!(
        app.vote(&su, q, Up).await.unwrap_err().code(),
        ErrorCode::Locked
    );
    app.set_locked(m, q, false).await.unwrap();
    // Undelete an answer restores it and reverses the deletion penalty.
    let a = app.answer(&su, q, BODY).await.unwrap();
    let before = fresh(&app, u).await.reputation;
    app.delete(&su, a).await.unwrap();
    app.undelete(m, a).await.unwrap();
    assert_eq!(fresh(&app, u).await.reputation, before);
    assert_eq!(app.post(q).await.unwrap().answer_count, 1);
    // Merge tags.
    app.create_tag(m, "golang", "").await.unwrap();
    app.create_tag(m, "go", "").await.unwrap();
    let mut f = form("A question tagged golang");
    f.tags = "golang general".into();
    let g = app.ask(&c.seniors[1], &f).await.unwrap();
    assert_eq!(app.merge_tags(m, "golang", "go").await.unwrap(), 1);
    assert_eq!(app.post(g).await.unwrap().tags, vec!["go", "general"]);
    assert_eq!(app.tag("go").await.unwrap().question_count, 1);
    let actions: Vec<String> = app
        .audit_log(m, 1)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    for a in [
        "suspend",
        "unsuspend",
        "set_capabilities",
        "lock",
        "unlock",
        "undelete",
        "merge_tags",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} missing from {actions:?}"
        );
    }
    assert_consistent(&app).await;
});

on_both!(badges_are_awarded_once, |app: App| async move {
    let c = crowd(&app).await;
    let asker = &c.seniors[3];
    let q = app
        .ask(asker, &form("A question worth a vote"))
        .await
        .unwrap();
    app.vote(&c.seniors[0], q, Up).await.unwrap();
    // Near-instant: the members the vote touched are processed.
    app.process_dirty().await.unwrap();
    let has = |list: &[(
        guildhall_domain::badges::BadgeDef,
        guildhall_storage::badges::BadgeAward,
    )],
               key: &str| { list.iter().any(|(d, _)| d.key == key) };
    assert!(has(&app.user_badges(asker.id).await.unwrap(), "student"));
    assert!(has(
        &app.user_badges(c.seniors[0].id).await.unwrap(),
        "supporter"
    ));
    // The full job, twice: the second awards nothing.
    app.run_badge_job().await.unwrap();
    let total = |app: App| async move {
        app.badges()
            .await
            .unwrap()
            .iter()
            .map(|b| b.awards)
            .sum::<i64>()
    };
    let first = total(app.clone()).await;
    assert_eq!(app.run_badge_job().await.unwrap(), 0);
    assert_eq!(total(app.clone()).await, first);
    // Custodian after a review; a notification per badge.
    let newbie = user(&app, "badge-newbie").await;
    let nq = app
        .ask(&newbie, &form("A first question to review"))
        .await
        .unwrap();
    app.review_vote(
        &c.juniors[0],
        item_of(&app, nq).await,
        "approve",
        &reason(""),
    )
    .await
    .unwrap();
    app.process_dirty().await.unwrap();
    assert!(has(
        &app.user_badges(c.juniors[0].id).await.unwrap(),
        "custodian"
    ));
    assert!(app
        .inbox(&c.juniors[0])
        .await
        .unwrap()
        .iter()
        .any(|n| n.kind == "badge_awarded" && n.detail == "custodian"));
    let (info, holders) = app.badge("custodian").await.unwrap();
    assert!(info.holders >= 1 && !holders.is_empty());
});

on_both!(recompute_checks_review_outcomes, |app: App| async move {
    let c = crowd(&app).await;
    let newbie = user(&app, "audited").await;
    let q = app
        .ask(&newbie, &form("A question that gets reviewed"))
        .await
        .unwrap();
    let item = item_of(&app, q).await;
    app.review_vote(&c.juniors[0], item, "approve", &reason(""))
        .await
        .unwrap();
    assert_consistent(&app).await;
    app.store
        .exec_raw_for_test(&format!(
            "UPDATE review_items SET outcome = 'reject' WHERE id = {item}"
        ))
        .await
        .unwrap();
    let report = app.recompute(false).await.unwrap();
    assert_eq!(report.review_mismatches.len(), 1);
    assert_eq!(report.review_mismatches[0].votes_say, "approve");
});

async fn late_answers_limits_and_mail(app: App, sink: &crate::accounts::MailSink) {
    let c = crowd(&app).await;
    let old = app
        .ask(&c.seniors[3], &form("An old question from long ago"))
        .await
        .unwrap();
    let older = app
        .ask(&c.seniors[2], &form("Another old question from long ago"))
        .await
        .unwrap();
    app.store
        .exec_raw_for_test(&format!(
            "UPDATE posts SET created_at = created_at - 3456000 WHERE id IN ({old}, {older})"
        ))
        .await
        .unwrap();
    let late = user(&app, "latecomer").await;
    app.update_profile(&late, "", "", "", true).await.unwrap();
    // The first answer goes to first posts; a moderator decides alone.
    let recent = app
        .ask(&c.seniors[3], &form("A recent question to answer"))
        .await
        .unwrap();
    let first = app.answer(&late, recent, BODY).await.unwrap();
    app.review_vote(&c.admin, item_of(&app, first).await, "approve", &reason(""))
        .await
        .unwrap();
    // Later answers to old questions are late answers.
    let a = app.answer(&late, old, BODY).await.unwrap();
    let b = app.answer(&late, older, BODY).await.unwrap();
    for p in [a, b] {
        let item = app.latest_review_of(p).await.unwrap().unwrap();
        assert_eq!(item.queue.key(), "late_answers");
    }
    // A daily limit of one review per queue.
    let mut s = (*app.settings()).clone();
    s.review.daily_review_limit = 1;
    app.store.save_settings(&s, None).await.unwrap();
    app.reload_settings().await.unwrap();
    app.review_vote(
        &c.juniors[0],
        item_of(&app, a).await,
        "approve",
        &reason(""),
    )
    .await
    .unwrap();
    assert_eq!(
        app.review_vote(
            &c.juniors[0],
            item_of(&app, b).await,
            "approve",
            &reason("")
        )
        .await
        .unwrap_err()
        .code(),
        ErrorCode::ReviewLimit
    );
    // Skipping is not a vote: the next item for this reviewer moves on.
    let queue = guildhall_domain::review::Queue::LateAnswers;
    let next = app.next_item(&c.juniors[1], queue).await.unwrap();
    assert_eq!(next, Some(item_of(&app, b).await));
    app.skip_item(&c.juniors[1], next.unwrap()).await.unwrap();
    assert_eq!(app.next_item(&c.juniors[1], queue).await.unwrap(), None);
    // Notifications reach the opted-in member by e-mail, once.
    assert!(app.deliver_notification_mail().await.unwrap() >= 2);
    assert_eq!(app.deliver_notification_mail().await.unwrap(), 0);
    let mails: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| {
            m["to"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x == "latecomer@test.localhost"))
        })
        .collect();
    assert!(mails.len() >= 2, "{mails:?}");
    assert!(mails
        .iter()
        .any(|m| m["body"].as_str().unwrap_or("").contains("approved")));
    // Members who did not opt in get no mail.
    assert!(!sink.messages().iter().any(|m| m["to"]
        .as_array()
        .is_some_and(|t| t.iter().any(|x| x == "senior3@test.localhost"))));
    assert_consistent(&app).await;
}

fn mail_config(sink: &crate::accounts::MailSink) -> guildhall_services::ServiceConfig {
    guildhall_services::ServiceConfig {
        mail: guildhall_services::mail::MailConfig {
            smtp: Some(format!("127.0.0.1:{}", sink.port)),
            from: None,
        },
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_answers_daily_limits_and_mail_sqlite() {
    let Some(sink) = crate::accounts::mail_sink() else {
        return;
    };
    let app = crate::harness::sqlite(mail_config(&sink)).await;
    late_answers_limits_and_mail(app, &sink).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_answers_daily_limits_and_mail_postgres() {
    let Some(sink) = crate::accounts::mail_sink() else {
        return;
    };
    if let Some(app) = crate::harness::postgres(mail_config(&sink)).await {
        late_answers_limits_and_mail(app, &sink).await;
    }
}

// Owners hear of others' answers, comments and acceptance, never of their
// own; a pending answer is announced when it is approved.
on_both!(
    owners_hear_of_answers_comments_and_acceptance,
    |app: App| async move {
        use guildhall_i18n::Lang;
        use guildhall_services::review::notification_text;
        let c = crowd(&app).await;
        let asker = &c.seniors[0];
        let q = app
            .ask(asker, &form("Who hears of what happens to a post?"))
            .await
            .unwrap();
        let before = app.inbox(asker).await.unwrap().len();
        // A newcomer whose name is also a flag reason: the first answer waits.
        let spam = user(&app, "spam").await;
        let a = app.answer(&spam, q, BODY).await.unwrap();
        assert_eq!(app.inbox(asker).await.unwrap().len(), before);
        app.review_vote(&c.admin, item_of(&app, a).await, "approve", &reason(""))
            .await
            .unwrap();
        let inbox = app.inbox(asker).await.unwrap();
        assert_eq!(inbox.len(), before + 1);
        let n = &inbox[0];
        assert_eq!(
            (n.kind.as_str(), n.post_id, n.question_id, n.detail.as_str()),
            ("answer_posted", Some(a), Some(q), "spam")
        );
        let s = app.settings();
        assert_eq!(
            notification_text(Lang::En, n, &s),
            "spam answered your question."
        );
        assert_eq!(
            notification_text(Lang::ZhCn, n, &s),
            "spam 回答了你的问题。"
        );
        // A published answer is announced at once; the asker's own are not.
        let b = app.answer(&c.seniors[1], q, BODY).await.unwrap();
        app.answer(asker, q, BODY).await.unwrap();
        app.comment(asker, q, "A note from the asker on the question itself.")
            .await
            .unwrap();
        let inbox = app.inbox(asker).await.unwrap();
        assert_eq!(inbox.len(), before + 2);
        assert_eq!(inbox[0].post_id, Some(b));
        // Comments on an answer and its acceptance reach the answer's author;
        // undoing the acceptance says nothing.
        app.comment(asker, a, "Thanks, this comment is on the answer.")
            .await
            .unwrap();
        app.accept(asker, q, Some(a)).await.unwrap();
        app.accept(asker, q, None).await.unwrap();
        let heard: Vec<(String, Option<i64>, String)> = app
            .inbox(&spam)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.kind != "post_approved")
            .map(|n| (n.kind, n.post_id, n.detail))
            .collect();
        let by = asker.username.clone();
        assert_eq!(
            heard,
            vec![
                ("answer_accepted".to_string(), Some(a), by.clone()),
                ("comment_posted".to_string(), Some(a), by),
            ]
        );
    }
);
