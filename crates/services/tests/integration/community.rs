use crate::fixtures::*;
use crate::on_both;
use guildhall_domain::reputation::Reason;
use guildhall_domain::votes::VoteValue::{Down, None as Undo, Up};
use guildhall_domain::{DomainError, ErrorCode, Privilege};
use guildhall_services::admin::SettingsChange;
use guildhall_services::community::EditOutcome;
use guildhall_services::App;
use guildhall_storage::content::{OwnList, QuestionSort};

fn reasons(rows: &[guildhall_storage::ledger::LedgerRow]) -> Vec<(String, i64)> {
    rows.iter()
        .rev()
        .map(|r| (r.reason.clone(), r.amount))
        .collect()
}

on_both!(reputation_follows_the_table, |app: App| async move {
    world(&app).await;
    let asker = user(&app, "asker").await;
    let answerer = user(&app, "answerer").await;
    assert_eq!(asker.reputation, 1, "activation gives +1");
    let voter = earn(&app, &user(&app, "voter").await, 9).await; // 1 + 135
    assert_eq!(voter.reputation, 136);

    let q = app
        .ask(&asker, &form("How do ledgers work here?"))
        .await
        .unwrap();
    let a = app.answer(&answerer, q, BODY).await.unwrap();

    // Up-vote the answer: +10 to its author.
    let out = app.vote(&voter, a, Up).await.unwrap();
    assert_eq!((out.score, out.changed), (1, true));
    assert_eq!(fresh(&app, &answerer).await.reputation, 11);
    // Same vote again changes nothing.
    assert!(!app.vote(&voter, a, Up).await.unwrap().changed);
    assert_eq!(fresh(&app, &answerer).await.reputation, 11);
    // Change to a down-vote: the +10 is reversed, then -2 to author, -1 to voter.
    assert_eq!(app.vote(&voter, a, Down).await.unwrap().score, -1);
    assert_eq!(app.store.ledger_sum(answerer.id).await.unwrap(), 1 - 2);
    assert_eq!(fresh(&app, &answerer).await.reputation, 1, "floored at 1");
    assert_eq!(fresh(&app, &voter).await.reputation, 135);
    // Undo: both rows reversed exactly.
    assert_eq!(app.vote(&voter, a, Undo).await.unwrap().score, 0);
    assert_eq!(fresh(&app, &answerer).await.reputation, 1);
    assert_eq!(fresh(&app, &voter).await.reputation, 136);

    // Question up-vote: +10 to the asker.
    app.vote(&voter, q, Up).await.unwrap();
    assert_eq!(fresh(&app, &asker).await.reputation, 11);

    // Accept: +15 to the answerer, +2 to the asker; undo reverses both.
    app.accept(&asker, q, Some(a)).await.unwrap();
    assert_eq!(fresh(&app, &answerer).await.reputation, 16);
    assert_eq!(fresh(&app, &asker).await.reputation, 13);
    app.accept(&asker, q, None).await.unwrap();
    assert_eq!(fresh(&app, &answerer).await.reputation, 1);
    assert_eq!(fresh(&app, &asker).await.reputation, 11);
    // Change the accepted answer from one to another.
    let a2 = app.answer(&voter, q, BODY).await.unwrap();
    app.accept(&asker, q, Some(a)).await.unwrap();
    app.accept(&asker, q, Some(a2)).await.unwrap();
    assert_eq!(fresh(&app, &answerer).await.reputation, 1);
    assert_eq!(fresh(&app, &voter).await.reputation, 136 + 15);
    assert_eq!(
        app.question(q, None).await.unwrap().answers[0].id,
        a2,
        "accepted answer first"
    );

    // Deleting an answer costs its author 5, also when they delete it themselves.
    let before = app.store.ledger_sum(answerer.id).await.unwrap();
    app.delete(&answerer, a).await.unwrap();
    assert_eq!(app.store.ledger_sum(answerer.id).await.unwrap(), before - 5);

    let rows = app
        .store
        .reputation_history(answerer.id, 100, 0)
        .await
        .unwrap();
    assert_eq!(
        reasons(&rows),
        vec![
            ("activation".to_string(), 1),
            ("answer_upvoted".into(), 10),
            ("answer_upvoted".into(), -10),
            ("answer_downvoted".into(), -2),
            ("answer_downvoted".into(), 2),
            ("answer_accepted".into(), 15),
            ("answer_accepted".into(), -15),
            ("answer_accepted".into(), 15),
            ("answer_accepted".into(), -15),
            ("answer_deleted".into(), -5),
        ]
    );
    assert!(rows
        .iter()
        .filter(|r| r.amount < 0 && r.reason != "answer_deleted" && r.reason != "answer_downvoted")
        .all(|r| r.reverses_id.is_some()));
    assert_eq!(
        rows[0].question_id,
        Some(q),
        "ledger rows link to their question"
    );
    assert_consistent(&app).await;
});

on_both!(refusals_name_the_privilege, |app: App| async move {
    world(&app).await;
    let newbie = user(&app, "newbie").await;
    let other = user(&app, "other").await;
    let q = app
        .ask(&other, &form("A question to vote on"))
        .await
        .unwrap();
    let err = app.vote(&newbie, q, Up).await.unwrap_err();
    assert!(matches!(
        err,
        guildhall_services::ServiceError::Domain(DomainError::PrivilegeMissing {
            privilege: Privilege::Upvote,
            required: 15,
            have: 1
        })
    ));
    let voter = earn(&app, &newbie, 1).await;
    let err = app.vote(&voter, q, Down).await.unwrap_err();
    assert!(matches!(
        err,
        guildhall_services::ServiceError::Domain(DomainError::PrivilegeMissing {
            required: 125,
            ..
        })
    ));
    // Own post, someone else's question, a missing post.
    let own = app
        .ask(&voter, &form("My own question here"))
        .await
        .unwrap();
    assert_eq!(
        app.vote(&voter, own, Up).await.unwrap_err().code(),
        ErrorCode::OwnPost
    );
    let a = app.answer(&voter, q, BODY).await.unwrap();
    assert_eq!(
        app.accept(&voter, q, Some(a)).await.unwrap_err().code(),
        ErrorCode::NotQuestionOwner
    );
    assert_eq!(
        app.vote(&voter, 999_999, Up).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    let other_q = app
        .ask(&other, &form("Another question entirely"))
        .await
        .unwrap();
    assert_eq!(
        app.accept(&other, other_q, Some(a))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::AnswerNotOfQuestion
    );
    // A new tag needs 1500 reputation; the question is not created.
    let mut f = form("Question with a new tag");
    f.tags = "brand-new-tag".into();
    let err = app.ask(&other, &f).await.unwrap_err();
    assert!(matches!(
        err,
        guildhall_services::ServiceError::Domain(DomainError::PrivilegeMissing {
            privilege: Privilege::CreateTags,
            required: 1500,
            ..
        })
    ));
    assert!(app.store.tag("brand-new-tag").await.unwrap().is_none());
    // Editing someone else's post needs 200.
    let err = app
        .edit(&voter, q, &form("Edited by someone else"), "")
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        guildhall_services::ServiceError::Domain(DomainError::PrivilegeMissing {
            privilege: Privilege::EditOthers,
            required: 200,
            ..
        })
    ));
    // Nothing moved: only the earn() rows exist.
    assert_eq!(app.question(q, None).await.unwrap().question.score, 0);
    assert_consistent(&app).await;
});

on_both!(
    daily_cap_credits_partially_and_exempts_accepts,
    |app: App| async move {
        let admin = world(&app).await;
        app.update_settings(
            &admin,
            &SettingsChange {
                amounts: vec![("daily_cap".into(), 25)],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let author = user(&app, "author").await;
        let q = app
            .ask(&author, &form("A very popular question"))
            .await
            .unwrap();
        let mut got = Vec::new();
        for i in 0..4 {
            let v = earn(&app, &user(&app, &format!("fan{i}")).await, 1).await;
            app.vote(&v, q, Up).await.unwrap();
            got.push(app.store.ledger_sum(author.id).await.unwrap());
        }
        // activation (+1, exempt) then 10, 10, 5, 0 credited against a cap of 25.
        assert_eq!(got, vec![11, 21, 26, 26]);
        let rows = app
            .store
            .reputation_history(author.id, 10, 0)
            .await
            .unwrap();
        assert_eq!(
            (rows[1].amount, rows[1].requested),
            (5, 10),
            "the row records earned and credited"
        );
        // Accepted answers are exempt.
        let asker = user(&app, "asker2").await;
        let q2 = app
            .ask(&asker, &form("Who can answer this one?"))
            .await
            .unwrap();
        let a = app.answer(&author, q2, BODY).await.unwrap();
        app.accept(&asker, q2, Some(a)).await.unwrap();
        assert_eq!(app.store.ledger_sum(author.id).await.unwrap(), 41);
        assert_consistent(&app).await;
    }
);

on_both!(
    low_reputation_moderator_votes_move_no_reputation,
    |app: App| async move {
        world(&app).await;
        let m = app
            .create_active_user(
                "mod",
                "mod@test.localhost",
                "password123",
                guildhall_domain::Role::Moderator,
            )
            .await
            .unwrap();
        let author = user(&app, "author").await;
        let q = app
            .ask(&author, &form("Moderated question here"))
            .await
            .unwrap();
        assert_eq!(app.vote(&m, q, Up).await.unwrap().score, 1);
        assert_eq!(fresh(&app, &author).await.reputation, 1);
        assert_consistent(&app).await;
    }
);

on_both!(
    edits_keep_every_revision_and_roll_back,
    |app: App| async move {
        world(&app).await;
        let u = user(&app, "writer").await;
        let q = app.ask(&u, &form("Original title of mine")).await.unwrap();
        let mut f = form("Edited title of mine");
        f.body = "A completely different body, long enough.".into();
        assert_eq!(
            app.edit(&u, q, &f, "clarify").await.unwrap(),
            EditOutcome::Edited { rev: 2 }
        );
        assert_eq!(app.rollback(&u, q, 1).await.unwrap(), 3);
        let post = app.post(q).await.unwrap();
        assert_eq!(post.title, "Original title of mine");
        let (_, revs) = app.history(q).await.unwrap();
        assert_eq!(revs.len(), 3);
        assert_eq!(revs[0].revision.kind, "rollback");
        assert_eq!(revs[0].revision.rolled_back_to, Some(1));
        assert!(revs[1]
            .title_diff
            .iter()
            .any(|d| d.op == "added" && d.text == "Edited title of mine"));
        assert!(revs[1].body_diff.iter().any(|d| d.op == "removed"));
        assert_eq!(revs[1].revision.comment, "clarify");
        // Answers are edited too; deleted posts are not.
        let a = app.answer(&u, q, BODY).await.unwrap();
        let mut fa = form("");
        fa.body = "A new answer body of sufficient length.".into();
        app.edit(&u, a, &fa, "").await.unwrap();
        app.delete(&u, a).await.unwrap();
        assert_eq!(
            app.edit(&u, a, &fa, "").await.unwrap_err().code(),
            ErrorCode::Deleted
        );
        assert_consistent(&app).await;
    }
);

on_both!(lists_sort_and_paginate, |app: App| async move {
    let admin = world(&app).await;
    app.create_tag(&admin, "rust", "").await.unwrap();
    let u = user(&app, "lister").await;
    let voter = earn(&app, &user(&app, "lister-voter").await, 1).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut f = form(&format!("Listed question number {i}"));
        if i % 2 == 0 {
            f.tags = "general rust".into();
        }
        ids.push(app.ask(&u, &f).await.unwrap());
    }
    app.vote(&voter, ids[2], Up).await.unwrap();
    // Timestamps have one-second resolution: let activity fall in a later second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.answer(&voter, ids[0], BODY).await.unwrap();
    let votes = app
        .questions(QuestionSort::Votes, None, 1, 50)
        .await
        .unwrap();
    assert_eq!(votes.questions[0].id, ids[2]);
    let active = app
        .questions(QuestionSort::Active, None, 1, 50)
        .await
        .unwrap();
    assert_eq!(active.questions[0].id, ids[0]);
    let unanswered = app
        .questions(QuestionSort::Unanswered, None, 1, 50)
        .await
        .unwrap();
    assert!(unanswered.questions.iter().all(|q| q.answer_count == 0));
    assert!(!unanswered.questions.iter().any(|q| q.id == ids[0]));
    let tagged = app
        .questions(QuestionSort::Newest, Some("rust"), 1, 50)
        .await
        .unwrap();
    assert_eq!(tagged.questions.len(), 3);
    let p1 = app
        .questions(QuestionSort::Newest, Some("general"), 1, 2)
        .await
        .unwrap();
    let p3 = app
        .questions(QuestionSort::Newest, Some("general"), 4, 2)
        .await
        .unwrap();
    assert!(p1.has_next && !p3.has_next);
    assert_eq!(app.tag("rust").await.unwrap().question_count, 3);
    assert_consistent(&app).await;
});

on_both!(recompute_finds_and_repairs_drift, |app: App| async move {
    world(&app).await;
    let u = user(&app, "drift").await;
    let q = app
        .ask(&u, &form("Question whose cache drifts"))
        .await
        .unwrap();
    app.store.corrupt_cache_for_test(q, u.id).await.unwrap();
    let report = app.recompute(true).await.unwrap();
    let cols: Vec<_> = report
        .differences
        .iter()
        .map(|d| (d.table, d.column, d.id))
        .collect();
    assert!(cols.contains(&("posts", "score", q)));
    assert!(cols.contains(&("users", "reputation", u.id)));
    assert_consistent(&app).await;
});

on_both!(settings_are_data_and_presets_apply, |app: App| async move {
    let admin = world(&app).await;
    let change = SettingsChange {
        preset: Some("stack_overflow".into()),
        amounts: vec![("answer_upvoted".into(), 7)],
        ..Default::default()
    };
    app.update_settings(&admin, &change).await.unwrap();
    // Another node reading the database sees the same settings.
    let reloaded = app.store.load_settings().await.unwrap();
    assert_eq!(reloaded.privileges.threshold(Privilege::EditTags), 500);
    assert_eq!(reloaded.reputation.answer_upvoted, 7);
    let u = user(&app, "plain").await;
    assert_eq!(
        app.update_settings(&u, &change).await.unwrap_err().code(),
        ErrorCode::Forbidden
    );
    let _ = Reason::ALL;
});

on_both!(cached_pages_never_show_stale_data, |app: App| async move {
    world(&app).await;
    let asker = user(&app, "cached").await;
    let voter = earn(&app, &user(&app, "cachevoter").await, 1).await;
    let q = app
        .ask(&asker, &form("A question read again and again"))
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(app.question(q, None).await.unwrap().question.score, 0);
    }
    let before = app
        .questions(QuestionSort::Votes, None, 1, 10)
        .await
        .unwrap();
    app.vote(&voter, q, Up).await.unwrap();
    let page = app.question(q, Some(&voter)).await.unwrap();
    assert_eq!(page.question.score, 1);
    assert_eq!(
        page.question.author_reputation, 11,
        "author reputation on the page follows the ledger"
    );
    assert_eq!(page.my_votes.get(&q), Some(&1));
    assert!(
        app.question(q, None).await.unwrap().my_votes.is_empty(),
        "one viewer's votes never leak to another"
    );
    let a = app.answer(&voter, q, BODY).await.unwrap();
    assert_eq!(app.question(q, None).await.unwrap().answers[0].id, a);
    let after = app
        .questions(QuestionSort::Votes, None, 1, 10)
        .await
        .unwrap();
    assert!(
        before
            .questions
            .iter()
            .find(|p| p.id == q)
            .unwrap()
            .answer_count
            == 0
    );
    assert_eq!(
        after
            .questions
            .iter()
            .find(|p| p.id == q)
            .unwrap()
            .answer_count,
        1
    );
});

on_both!(expired_sessions_are_purged, |app: App| async move {
    world(&app).await;
    let u = user(&app, "purged").await;
    app.store
        .create_session("expired-hash", u.id, 1)
        .await
        .unwrap();
    app.store
        .create_session("live-hash", u.id, i64::MAX / 2)
        .await
        .unwrap();
    assert!(app.store.purge_expired(3600).await.unwrap() >= 1);
    assert!(app.store.session_user("live-hash").await.unwrap().is_some());
});

// Bookmarks: private to their member, idempotent, most recent first, and
// gone from the list when the question is no longer visible.
on_both!(bookmarks_are_kept_per_member, |app: App| async move {
    let admin = world(&app).await;
    let asker = user(&app, "asker").await;
    let reader = user(&app, "reader").await;
    let q1 = app
        .ask(&asker, &form("The first question to keep"))
        .await
        .unwrap();
    let q2 = app
        .ask(&asker, &form("The second question to keep"))
        .await
        .unwrap();
    let a = app.answer(&asker, q1, BODY).await.unwrap();
    assert!(app.bookmark(&reader, q1, true).await.unwrap());
    assert!(
        app.bookmark(&reader, q1, true).await.unwrap(),
        "twice is once"
    );
    app.bookmark(&reader, q2, true).await.unwrap();
    app.bookmark(&admin, q2, true).await.unwrap();
    // Answers and missing questions cannot be bookmarked.
    for id in [a, 999_999] {
        let e = app.bookmark(&reader, id, true).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound, "{id}");
    }
    let ids = |rows: Vec<guildhall_storage::content::PostRecord>| -> Vec<i64> {
        rows.iter().map(|p| p.id).collect()
    };
    let (rows, more) = app
        .own_questions(&reader, OwnList::Bookmarks, 1)
        .await
        .unwrap();
    assert_eq!((ids(rows), more), (vec![q2, q1], false));
    assert_eq!(
        ids(app
            .own_questions(&asker, OwnList::Bookmarks, 1)
            .await
            .unwrap()
            .0),
        Vec::<i64>::new()
    );
    // The question page counts everyone's and knows the viewer's.
    let page = app.question(q2, Some(&reader)).await.unwrap();
    assert_eq!((page.bookmarks, page.bookmarked), (2, true));
    let page = app.question(q2, Some(&asker)).await.unwrap();
    assert_eq!((page.bookmarks, page.bookmarked), (2, false));
    // Removing is idempotent too, and the count follows (through the cache).
    assert!(!app.bookmark(&reader, q2, false).await.unwrap());
    assert!(!app.bookmark(&reader, q2, false).await.unwrap());
    let page = app.question(q2, None).await.unwrap();
    assert_eq!((page.bookmarks, page.bookmarked), (1, false));
    // A deleted question leaves the list.
    app.delete(&admin, q1).await.unwrap();
    assert_eq!(
        ids(app
            .own_questions(&reader, OwnList::Bookmarks, 1)
            .await
            .unwrap()
            .0),
        Vec::<i64>::new()
    );
});

// The member directory: activated members only, public fields, three
// orders, a literal name filter, post counts, pages.
on_both!(the_member_directory, |app: App| async move {
    use guildhall_services::accounts::Registration;
    world(&app).await;
    let ann = user(&app, "ann_a").await;
    let abe = user(&app, "annxa").await;
    let zed = earn(&app, &user(&app, "zed").await, 2).await;
    app.register(
        &Registration {
            username: "ann_pending",
            email: "pending@test.localhost",
            password: "password123",
        },
        guildhall_i18n::Lang::En,
    )
    .await
    .unwrap();
    app.ask(&ann, &form("A question by ann for the directory"))
        .await
        .unwrap();
    let names = |d: &guildhall_services::accounts::MemberDirectory| -> Vec<String> {
        d.members.iter().map(|m| m.username.clone()).collect()
    };
    // `_` is a letter here, not a wildcard; the unactivated account is left out.
    let d = app
        .member_directory(Some("name"), " ANN_ ", 1)
        .await
        .unwrap();
    assert_eq!(
        (names(&d), d.filter.as_str()),
        (vec!["ann_a".to_string()], "ann_")
    );
    assert_eq!((d.members[0].questions, d.members[0].answers), (1, 0));
    let d = app.member_directory(Some("name"), "ann", 1).await.unwrap();
    assert_eq!(names(&d), ["ann_a", "annxa"]);
    let d = app.member_directory(Some("name"), "%", 1).await.unwrap();
    assert!(d.members.is_empty());
    // By reputation (the default, also for an unknown order) and newest.
    let d = app.member_directory(Some("bogus"), "", 1).await.unwrap();
    assert_eq!(d.sort.key(), "reputation");
    let reps: Vec<i64> = d.members.iter().map(|m| m.reputation).collect();
    assert!(reps.windows(2).all(|w| w[0] >= w[1]), "{reps:?}");
    let at = |name: &str| d.members.iter().position(|m| m.username == name);
    assert!(zed.reputation > ann.reputation && at("zed").unwrap() < at("ann_a").unwrap());
    let d = app.member_directory(Some("new"), "ann", 1).await.unwrap();
    assert_eq!(
        names(&d)[0],
        if abe.created_at >= ann.created_at {
            "annxa"
        } else {
            "ann_a"
        }
    );
    // No e-mail or other private field leaves the directory.
    let json = serde_json::to_string(&d).unwrap();
    assert!(
        !json.contains("test.localhost") && !json.contains("password"),
        "{json}"
    );
    assert!(
        !d.has_next
            && app
                .member_directory(None, "", 99)
                .await
                .unwrap()
                .members
                .is_empty()
    );
});

// Changing a password: the current one must be right (wrong guesses count
// as failed logins), the new one valid; every other session ends.
on_both!(a_member_changes_the_password, |app: App| async move {
    world(&app).await;
    let u = user(&app, "changer").await;
    let elsewhere = app
        .login("changer", "password123", "10.0.0.1")
        .await
        .unwrap();
    // Printed records and sessions give away no address, hash or token.
    let printed = format!("{u:?} {elsewhere:?}");
    assert!(printed.contains("changer"), "{printed}");
    for secret in ["@test.localhost", "$argon2", elsewhere.token.as_str()] {
        assert!(!printed.contains(secret), "{printed}");
    }
    let e = app
        .change_password(&u, "not-the-password", "a-new-password", "10.0.0.2")
        .await
        .unwrap_err();
    assert!(
        matches!(
            &e,
            guildhall_services::ServiceError::Domain(DomainError::Validation {
                field: "current_password",
                ..
            })
        ),
        "{e:?}"
    );
    let e = app
        .change_password(&u, "password123", "short", "10.0.0.2")
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Validation);
    // Nothing changed so far.
    assert!(app.session_user(&elsewhere.token).await.unwrap().is_some());
    let here = app
        .change_password(&u, "password123", "a-new-password", "10.0.0.2")
        .await
        .unwrap();
    assert!(app.session_user(&elsewhere.token).await.unwrap().is_none());
    assert_eq!(
        app.session_user(&here.token).await.unwrap().map(|s| s.id),
        Some(u.id)
    );
    assert!(app
        .login("changer", "password123", "10.0.0.3")
        .await
        .is_err());
    app.login("changer", "a-new-password", "10.0.0.3")
        .await
        .unwrap();
    // Guessing the current password runs into the login limit.
    let mut last = None;
    for _ in 0..app.config.login_max_failures {
        last = app
            .change_password(&u, "guess", "another-password", "10.0.0.4")
            .await
            .err();
    }
    assert!(last.is_some());
    let e = app
        .change_password(&u, "a-new-password", "another-password", "10.0.0.4")
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
});

// Views are counted once per viewer, written in batches, and the question
// page (cached) shows the new count after a batch.
on_both!(views_reach_the_cached_page, |app: App| async move {
    world(&app).await;
    let asker = user(&app, "asker").await;
    let q = app
        .ask(&asker, &form("A question people look at"))
        .await
        .unwrap();
    assert_eq!(app.question(q, None).await.unwrap().question.view_count, 0);
    for viewer in ["10.0.0.1", "10.0.0.2", "10.0.0.1"] {
        app.count_view(q, viewer);
    }
    // Buffered: the page (from the cache) still says 0.
    assert_eq!(app.question(q, None).await.unwrap().question.view_count, 0);
    assert_eq!(app.flush_views().await.unwrap(), 2);
    assert_eq!(app.question(q, None).await.unwrap().question.view_count, 2);
});

// Comments are removed by their author or a moderator (audited), once;
// the post's cached count follows and agrees with recompute.
on_both!(
    comments_are_removed_by_their_author_or_a_moderator,
    |app: App| async move {
        let admin = world(&app).await;
        let asker = user(&app, "asker").await;
        let other = user(&app, "other").await;
        let q = app
            .ask(&asker, &form("A question with comments on it"))
            .await
            .unwrap();
        let mine = app
            .comment(&asker, q, "A comment the asker regrets.")
            .await
            .unwrap();
        let theirs = app
            .comment(&other, q, "A rude comment by someone else.")
            .await
            .unwrap();
        let kept = app
            .comment(&other, q, "A useful comment that stays.")
            .await
            .unwrap();
        // Not someone else's, unless a moderator.
        let e = app.delete_comment(&asker, theirs).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::Forbidden);
        assert_eq!(app.delete_comment(&asker, mine).await.unwrap(), q);
        assert_eq!(
            app.delete_comment(&asker, mine).await.unwrap(),
            q,
            "twice is once"
        );
        app.delete_comment(&admin, theirs).await.unwrap();
        let e = app.delete_comment(&asker, 999_999).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::NotFound);
        let page = app.question(q, None).await.unwrap();
        let left: Vec<i64> = page.comments.iter().map(|c| c.id).collect();
        assert_eq!((left, page.question.comment_count), (vec![kept], 1));
        let check = app.recompute(false).await.unwrap();
        assert!(check.differences.is_empty(), "{:?}", check.differences);
        // Only the moderator's removal is audited.
        let audit = app.store.audit_log(50, 0).await.unwrap();
        let removals: Vec<Option<i64>> = audit
            .iter()
            .filter(|r| r.action == "delete_comment")
            .map(|r| r.target_id)
            .collect();
        assert_eq!(removals, vec![Some(theirs)]);
    }
);
