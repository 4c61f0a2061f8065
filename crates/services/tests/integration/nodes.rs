//! Several app nodes on one PostgreSQL: the page cache of one node follows
//! the writes of another.

use crate::fixtures::*;
use crate::harness;
use guildhall_domain::votes::VoteValue;
use guildhall_services::App;
use std::time::Duration;

/// Two app nodes on one throwaway PostgreSQL, a community on it and a
/// member who asks (None when no PostgreSQL is available).
async fn two_nodes() -> Option<(App, App, guildhall_storage::users::UserRecord)> {
    let (s1, s2) = harness::postgres_pair().await?;
    let node1 = harness::app_on(s1, Default::default()).await;
    let node2 = App::new(s2, Default::default()).await.unwrap();
    world(&node1).await;
    let asker = user(&node1, "asker").await;
    Some((node1, node2, asker))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_sees_another_nodes_writes_postgres() {
    let Some((node1, node2, asker)) = two_nodes().await else {
        return;
    };
    let voter = earn(&node1, &user(&node1, "voter").await, 1).await;
    let q = node1
        .ask(&asker, &form("Asked on node one, voted on node two"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await; // both listeners connected
    assert_eq!(node1.question(q, None).await.unwrap().question.score, 0);
    // A change behind the services' back is not seen: node 1 serves its cache.
    node1
        .store
        .corrupt_cache_for_test(q, asker.id)
        .await
        .unwrap();
    assert_eq!(
        node1.question(q, None).await.unwrap().question.score,
        0,
        "served from the cache"
    );
    // A write through node 2 reaches node 1's cache by notification.
    node2.vote(&voter, q, VoteValue::Up).await.unwrap();
    let mut seen = 0;
    for _ in 0..60 {
        seen = node1.question(q, None).await.unwrap().question.score;
        if seen != 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        seen, 8,
        "node 1 reloaded after node 2's write (7 from the corruption + 1 vote)"
    );
    node1.recompute(true).await.unwrap();
    assert_consistent(&node2).await;
}

// Two nodes index the same pending posts at the same moment (each syncs
// the whole outbox): the cached word counts PostgreSQL counts a word from
// still agree with the documents, neither lost nor counted twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_indexing_at_once_count_words_once_postgres() {
    let Some((node1, node2, asker)) = two_nodes().await else {
        return;
    };
    for round in 0..5 {
        for i in 0..8 {
            node1
                .ask(
                    &asker,
                    &form(&format!(
                        "Lighthouse lantern {round} number {i} keeps burning"
                    )),
                )
                .await
                .unwrap();
        }
        let (a, b) = tokio::join!(node1.search_sync(), node2.search_sync());
        a.unwrap();
        b.unwrap();
    }
    assert_eq!(node1.search_count_drift().await.unwrap(), 0);
    let found = node2.search(None, "lantern", None, 1).await.unwrap();
    assert_eq!(found.total, 40);
}
