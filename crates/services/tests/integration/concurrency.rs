//! Two requests at the same instant must not double-count.

use crate::fixtures::*;
use crate::on_both;
use guildhall_domain::votes::VoteValue;
use guildhall_services::App;

on_both!(concurrent_votes_count_once, |app: App| async move {
    world(&app).await;
    let author = user(&app, "author").await;
    let q = app
        .ask(&author, &form("A question many people like"))
        .await
        .unwrap();
    let voter = earn(&app, &user(&app, "eager").await, 1).await;

    // The same person's vote, sent ten times at once.
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (app, voter) = (app.clone(), voter.clone());
            tokio::spawn(async move { app.vote(&voter, q, VoteValue::Up).await })
        })
        .collect();
    let mut changed = 0;
    for t in tasks {
        if t.await.unwrap().unwrap().changed {
            changed += 1;
        }
    }
    assert_eq!(changed, 1);
    assert_eq!(app.post(q).await.unwrap().score, 1);
    assert_eq!(fresh(&app, &author).await.reputation, 11);

    // Ten different people at once: all count, each once.
    let mut voters = Vec::new();
    for i in 0..10 {
        voters.push(earn(&app, &user(&app, &format!("crowd{i}")).await, 1).await);
    }
    let tasks: Vec<_> = voters
        .into_iter()
        .map(|v| {
            let app = app.clone();
            tokio::spawn(async move { app.vote(&v, q, VoteValue::Up).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(app.post(q).await.unwrap().score, 11);
    // 1 + 11 × 10, under the daily cap of 200.
    assert_eq!(fresh(&app, &author).await.reputation, 111);

    // Accept and un-accept racing each other end in a consistent state.
    let a = app.answer(&voter, q, BODY).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (app, author) = (app.clone(), author.clone());
            tokio::spawn(async move {
                app.accept(&author, q, if i % 2 == 0 { Some(a) } else { None })
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_consistent(&app).await;
    let accepted = app.post(q).await.unwrap().accepted_answer_id;
    let expected = if accepted.is_some() { 16 + 15 } else { 16 };
    assert_eq!(fresh(&app, &voter).await.reputation, expected);
});
