//! Random sequences of actions by many members; afterwards every cache
//! equals its ledger, and scores equal an independent model of the votes.

use crate::fixtures::*;
use crate::harness;
use guildhall_domain::votes::VoteValue;
use guildhall_domain::Role;
use guildhall_services::admin::SettingsChange;
use guildhall_services::App;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::HashMap;

#[derive(Debug, Clone)]
enum Action {
    Vote {
        user: usize,
        post: usize,
        value: i8,
    },
    Accept {
        user: usize,
        question: usize,
        answer: Option<usize>,
    },
    Delete {
        user: usize,
        post: usize,
    },
    Answer {
        user: usize,
        question: usize,
    },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => (0..7usize, 0..8usize, -1..=1i8).prop_map(|(user, post, value)| Action::Vote { user, post, value }),
        2 => (0..7usize, 0..2usize, proptest::option::of(0..8usize)).prop_map(|(user, question, answer)| Action::Accept { user, question, answer }),
        1 => (0..7usize, 0..8usize).prop_map(|(user, post)| Action::Delete { user, post }),
        1 => (0..7usize, 0..2usize).prop_map(|(user, question)| Action::Answer { user, question }),
    ]
}

async fn run_case(app: App, actions: Vec<Action>) {
    let admin = world(&app).await;
    // Down-votes from 15 so that most members can cast them; rules are data.
    let change = SettingsChange {
        thresholds: vec![("downvote".into(), 15)],
        ..Default::default()
    };
    app.update_settings(&admin, &change).await.unwrap();
    let mut users = Vec::new();
    for i in 0..5 {
        let u = user(&app, &format!("member{i}")).await;
        // Members 0..3 can vote; 4 stays at 1 reputation.
        users.push(if i < 4 { earn(&app, &u, 1).await } else { u });
    }
    users.push(
        app.create_active_user(
            "moderator",
            "m@test.localhost",
            "password123",
            Role::Moderator,
        )
        .await
        .unwrap(),
    );
    users.push(user(&app, "late").await);
    let mut posts: Vec<i64> = Vec::new();
    for (q, asker) in users.iter().enumerate().take(2) {
        posts.push(
            app.ask(asker, &form(&format!("Property question {q}")))
                .await
                .unwrap(),
        );
    }
    let questions = posts.clone();
    for (i, u) in users.iter().enumerate().take(4) {
        posts.push(app.answer(u, questions[i % 2], BODY).await.unwrap());
    }
    let mut model: HashMap<(i64, i64), i64> = HashMap::new();
    for a in actions {
        match a {
            Action::Vote { user, post, value } => {
                let Some(&p) = posts.get(post) else { continue };
                let u = fresh(&app, &users[user]).await;
                let v = VoteValue::from_i64(value as i64);
                if app.vote(&u, p, v).await.is_ok() {
                    model.insert((u.id, p), value as i64);
                }
            }
            Action::Accept {
                user,
                question,
                answer,
            } => {
                let u = fresh(&app, &users[user]).await;
                let answer = answer.and_then(|i| posts.get(i + 2).copied());
                let _ = app.accept(&u, questions[question], answer).await;
            }
            Action::Delete { user, post } => {
                let Some(&p) = posts.get(post) else { continue };
                let u = fresh(&app, &users[user]).await;
                let _ = app.delete(&u, p).await;
            }
            Action::Answer { user, question } => {
                let u = fresh(&app, &users[user]).await;
                if let Ok(id) = app.answer(&u, questions[question], BODY).await {
                    posts.push(id);
                }
            }
        }
    }
    assert_consistent(&app).await;
    for &p in &posts {
        let expected: i64 = model
            .iter()
            .filter(|((_, post), _)| *post == p)
            .map(|(_, v)| v)
            .sum();
        assert_eq!(
            app.post(p).await.unwrap().score,
            expected,
            "score of post {p}"
        );
    }
}

fn run(postgres: bool) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cases = std::env::var("GUILDHALL_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(action(), 1..50), |actions| {
            rt.block_on(async {
                let app = if postgres {
                    match harness::postgres(Default::default()).await {
                        Some(app) => app,
                        None => return,
                    }
                } else {
                    harness::sqlite(Default::default()).await
                };
                run_case(app, actions).await;
            });
            Ok(())
        })
        .unwrap();
}

#[test]
fn random_actions_keep_caches_and_ledgers_equal_sqlite() {
    run(false);
}

#[test]
fn random_actions_keep_caches_and_ledgers_equal_postgres() {
    run(true);
}
