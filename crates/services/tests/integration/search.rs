//! Search on both engines: the relevance query set, the query language,
//! the index following every write, tags (synonyms, follows, directory),
//! feeds, durability, and random queries.

use crate::fixtures::{admin, earn, form, user, world, BODY};
use crate::on_both;
use crate::search_corpus::{ANSWERS, QUERIES, QUESTIONS};
use guildhall_services::community::QuestionForm;
use guildhall_services::search::SearchResults;
use guildhall_services::App;
use guildhall_storage::content::OwnList;
use guildhall_storage::users::UserRecord;
use std::collections::HashMap;

/// Load the corpus; returns key → post id.
async fn corpus(app: &App) -> HashMap<&'static str, i64> {
    let a = world(app).await;
    for t in [
        "rust",
        "tokio",
        "postgresql",
        "sqlite",
        "docker",
        "kubernetes",
        "git",
        "python",
        "javascript",
        "redis",
        "search",
    ] {
        app.create_tag(&a, t, "").await.unwrap();
    }
    let asker = user(app, "asker").await;
    let answerer = user(app, "answerer").await;
    let mut ids = HashMap::new();
    for (key, tags, title, body) in QUESTIONS {
        let id = app
            .ask(
                &asker,
                &QuestionForm {
                    title: title.to_string(),
                    body: body.to_string(),
                    tags: tags.to_string(),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("{key}: {e:?}"));
        ids.insert(*key, id);
    }
    for (key, q, body, accepted) in ANSWERS {
        let qid = ids[q];
        let id = app.answer(&answerer, qid, body).await.unwrap();
        if *accepted {
            app.accept(&asker, qid, Some(id)).await.unwrap();
        }
        ids.insert(*key, id);
    }
    app.search_sync().await.unwrap();
    ids
}

async fn ids_of(app: &App, viewer: Option<&UserRecord>, q: &str) -> Vec<i64> {
    search(app, viewer, q)
        .await
        .hits
        .iter()
        .map(|h| h.id)
        .collect()
}

async fn search(app: &App, viewer: Option<&UserRecord>, q: &str) -> SearchResults {
    app.search(viewer, q, None, 1)
        .await
        .unwrap_or_else(|e| panic!("{q:?}: {e:?}"))
}

/// Top five of every query, checked against the expected posts.
async fn run_queries(app: &App, ids: &HashMap<&'static str, i64>) -> Vec<Vec<i64>> {
    let mut failures = Vec::new();
    let mut tops = Vec::new();
    for (q, want) in QUERIES {
        let got = ids_of(app, None, q).await;
        let top: Vec<i64> = got.into_iter().take(5).collect();
        for w in *want {
            if !top.contains(&ids[w]) {
                let names: Vec<&str> = top
                    .iter()
                    .map(|id| {
                        ids.iter()
                            .find(|(_, v)| *v == id)
                            .map(|(k, _)| *k)
                            .unwrap_or("?")
                    })
                    .collect();
                failures.push(format!("{q:?}: {w} not in top 5 {names:?}"));
            }
        }
        tops.push(top);
    }
    assert!(
        failures.is_empty(),
        "{} of {} queries miss ({}):\n{}",
        failures.len(),
        QUERIES.len(),
        app.search_engine(),
        failures.join("\n")
    );
    tops
}

on_both!(relevance, |app: App| async move {
    assert!(QUERIES.len() >= 30);
    let zh = QUERIES
        .iter()
        .filter(|(q, _)| q.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)))
        .count();
    assert!(
        zh * 2 >= QUERIES.len(),
        "half the queries are Chinese or mixed"
    );
    let ids = corpus(&app).await;
    run_queries(&app, &ids).await;
    // Snippets and titles are highlighted and escaped.
    let r = search(&app, None, "连接池").await;
    assert!(r.hits[0].title_html.contains("<mark>"), "{:?}", r.hits[0]);
    let r = search(&app, None, "Box dyn Error").await;
    assert!(
        r.hits
            .iter()
            .any(|h| h.snippet_html.contains("&lt;<mark>dyn</mark>")),
        "{r:?}"
    );
});

/// The same query set on both engines: each finds what it must, and their
/// top fives mostly agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engines_agree() {
    let sqlite = crate::harness::sqlite(Default::default()).await;
    let Some(pg) = crate::harness::postgres(Default::default()).await else {
        return;
    };
    let a = corpus(&sqlite).await;
    let b = corpus(&pg).await;
    let ta = run_queries(&sqlite, &a).await;
    let tb = run_queries(&pg, &b).await;
    // Ids differ between databases; compare by corpus key.
    let key = |ids: &HashMap<&'static str, i64>, id: i64| {
        ids.iter()
            .find(|(_, v)| **v == id)
            .map(|(k, _)| *k)
            .unwrap()
    };
    let mut overlap_sum = 0.0;
    for (i, (x, y)) in ta.iter().zip(&tb).enumerate() {
        let kx: Vec<&str> = x.iter().map(|id| key(&a, *id)).collect();
        let ky: Vec<&str> = y.iter().map(|id| key(&b, *id)).collect();
        let common = kx.iter().filter(|k| ky.contains(k)).count();
        let union = kx.len() + ky.len() - common;
        let j = if union == 0 {
            1.0
        } else {
            common as f64 / union as f64
        };
        if j < 0.5 {
            eprintln!("{:?}: tantivy {kx:?} / postgresql {ky:?}", QUERIES[i].0);
        }
        overlap_sum += j;
        assert_eq!(
            kx.first(),
            ky.first(),
            "{:?}: best hit differs",
            QUERIES[i].0
        );
    }
    let mean = overlap_sum / ta.len() as f64;
    eprintln!("mean top-5 overlap between engines: {mean:.2}");
    assert!(
        mean >= 0.6,
        "engines disagree: mean top-5 overlap {mean:.2}"
    );
}

on_both!(query_language, |app: App| async move {
    let ids = corpus(&app).await;
    let asker = app.store.user_by_username("asker").await.unwrap().unwrap();
    let has = |v: &Vec<i64>, k: &str| v.contains(&ids[k]);
    // [tag] filters; two tags must both be present.
    let v = ids_of(&app, None, "[tokio] channel").await;
    assert!(has(&v, "q_channel") && !has(&v, "q_redis"));
    let v = ids_of(&app, None, "[rust] [tokio] is:question").await;
    assert_eq!(v.len(), 4, "{v:?}");
    // Answers carry their question's tags.
    assert_eq!(ids_of(&app, None, "[rust] [tokio]").await.len(), 6);
    // Exclusions and phrases.
    let v = ids_of(&app, None, "lock -redis").await;
    assert!(has(&v, "q_sqlite_wal") && !has(&v, "q_redis"), "{v:?}");
    let v = ids_of(&app, None, "\"busy timeout\"").await;
    assert!(v.is_empty() || !has(&v, "q_pool"));
    let v = ids_of(&app, None, "\"connection pool\"").await;
    assert!(has(&v, "q_pool"));
    // A Chinese phrase whose first word has pieces (连接池 gives 连接 and
    // 连接池): found where its words stand together, also after a longer
    // word, and not where they stand apart.
    let mut zh = Vec::new();
    for (title, body) in [
        (
            "连接池编译很慢应该怎么排查",
            "每次连接池编译都要很久，日志里也看不出原因，请问从哪里开始查？",
        ),
        (
            "数据库连接池编译选项在哪里设置",
            "想调整数据库连接池编译参数，但是文档里没有找到对应的配置项说明。",
        ),
        (
            "编译以后连接池一直泄漏怎么办",
            "编译完成以后服务运行一段时间，连接池却慢慢泄漏了，重启才能恢复。",
        ),
    ] {
        let form = QuestionForm {
            title: title.into(),
            body: body.into(),
            tags: "rust".into(),
        };
        zh.push(app.ask(&asker, &form).await.unwrap());
    }
    let v = ids_of(&app, None, "\"连接池编译\"").await;
    assert!(
        v.contains(&zh[0]) && v.contains(&zh[1]) && !v.contains(&zh[2]),
        "{v:?} {zh:?}"
    );
    let v = ids_of(&app, None, "\"编译以后连接池\"").await;
    assert_eq!(v, [zh[2]]);
    // is:, user:, hasaccepted:, answers:, closed:, score:, created:.
    let v = ids_of(&app, None, "pool is:answer").await;
    assert!(has(&v, "a_pool") && !has(&v, "q_pool"));
    let v = ids_of(&app, Some(&asker), "user:me [git]").await;
    assert!(has(&v, "q_git_undo") && !has(&v, "a_git"));
    let v = ids_of(&app, None, "user:answerer [git]").await;
    assert!(has(&v, "a_git") && !has(&v, "q_git_undo"));
    let v = ids_of(&app, None, "[postgresql] hasaccepted:no").await;
    assert!(has(&v, "q_pg_index") && !has(&v, "a_trgm"));
    let v = ids_of(&app, None, "[git] hasaccepted:yes").await;
    assert!(has(&v, "q_git_undo") && !has(&v, "a_git"));
    let v = ids_of(&app, None, "[redis] answers:0").await;
    assert_eq!(v.len(), 2);
    let v = ids_of(&app, None, "[sqlite] answers:>=1").await;
    assert_eq!(v.len(), 2);
    assert_eq!(ids_of(&app, None, "[rust] closed:yes").await.len(), 0);
    assert!(!ids_of(&app, None, "[rust] score:0").await.is_empty());
    assert!(ids_of(&app, None, "[rust] score:>=1").await.is_empty());
    assert!(ids_of(&app, None, "[rust] created:2000-01-01..2001-01-01")
        .await
        .is_empty());
    assert!(!ids_of(&app, None, "[rust] created:2020-01-01..")
        .await
        .is_empty());
    // Sort orders.
    let r = app.search(None, "[rust]", Some("newest"), 1).await.unwrap();
    let newest: Vec<i64> = r.hits.iter().map(|h| h.created_at).collect();
    assert!(newest.windows(2).all(|w| w[0] >= w[1]));
    // Notices instead of errors.
    let r = search(&app, None, "user:me rust").await;
    assert!(r.hits.is_empty() && !r.notices.is_empty());
    let r = search(&app, None, "[nosuchtag] rust").await;
    assert!(r.hits.is_empty());
    assert!(format!("{:?}", r.notices).contains("UnknownTag"));
    let r = search(&app, None, "created:2026-13-45 rust").await;
    assert!(!r.hits.is_empty());
    assert!(format!("{:?}", r.notices).contains("BadValue"));
    // Words no post has together: the any-word fallback, said so.
    let r = search(&app, None, "kubernetes 闭包").await;
    assert!(!r.hits.is_empty());
    assert!(format!("{:?}", r.notices).contains("AnyWords"));
    // Empty query: no results, no error.
    let r = search(&app, None, "   ").await;
    assert!(r.empty && r.hits.is_empty());
    // Pagination.
    let all = app.search(None, "[rust]", None, 1).await.unwrap();
    assert!(all.total >= 15, "{}", all.total);
    let change = guildhall_services::admin::SettingsChange {
        search: vec![("page_size".into(), 5.0)],
        ..Default::default()
    };
    app.update_settings(&admin(&app).await, &change)
        .await
        .unwrap();
    let p1 = app.search(None, "[rust]", None, 1).await.unwrap();
    let p2 = app.search(None, "[rust]", None, 2).await.unwrap();
    assert_eq!((p1.hits.len(), p2.hits.len()), (5, 5));
    assert_eq!(p1.total, all.total);
    assert_eq!(p1.pages, all.total.div_ceil(5));
    assert!(p1.hits.iter().all(|h| p2.hits.iter().all(|g| g.id != h.id)));
});

on_both!(index_follows_writes, |app: App| async move {
    let a = world(&app).await;
    let alice = user(&app, "alice").await;
    let q = app
        .ask(&alice, &form("Quantum entanglement of teapots explained"))
        .await
        .unwrap();
    assert_eq!(ids_of(&app, None, "teapots").await, vec![q]);
    // Edit: the new word is found, the old one is not.
    app.edit(
        &alice,
        q,
        &QuestionForm {
            title: "Quantum entanglement of kettles explained".into(),
            body: form("x").body,
            tags: "general".into(),
        },
        "",
    )
    .await
    .unwrap();
    assert_eq!(ids_of(&app, None, "kettles").await, vec![q]);
    assert!(ids_of(&app, None, "teapots").await.is_empty());
    // An answer is found, and accepting it marks both.
    let bob = user(&app, "bob").await;
    let ans = app
        .answer(
            &bob,
            q,
            "Kettles are entangled by the spooky whistle effect.",
        )
        .await
        .unwrap();
    assert_eq!(ids_of(&app, None, "whistle").await, vec![ans]);
    assert!(ids_of(&app, None, "kettles hasaccepted:yes")
        .await
        .is_empty());
    app.accept(&alice, q, Some(ans)).await.unwrap();
    assert_eq!(ids_of(&app, None, "kettles hasaccepted:yes").await, vec![q]);
    // Votes change the ranking input: of two equal matches, the upvoted
    // one comes first.
    let twin = app
        .ask(&bob, &form("Entangled kettles, a second opinion"))
        .await
        .unwrap();
    let other = app
        .ask(&bob, &form("Entangled kettles, a second opinion"))
        .await
        .unwrap();
    let voter = earn(&app, &user(&app, "voter").await, 1).await;
    for (voted, behind) in [(twin, other), (other, twin)] {
        app.vote(&voter, voted, guildhall_domain::votes::VoteValue::Up)
            .await
            .unwrap();
        app.vote(&voter, behind, guildhall_domain::votes::VoteValue::None)
            .await
            .unwrap();
        let ranked = ids_of(&app, None, "second opinion").await;
        assert_eq!(ranked, vec![voted, behind]);
        assert_eq!(
            ids_of(&app, None, "second opinion score:1").await,
            vec![voted]
        );
    }
    // Close: closed:yes finds it.
    // An administrator closes alone (moderators decide review items).
    let input = guildhall_storage::review::VoteInput {
        reason: "duplicate",
        duplicate_of: Some(twin),
        ..Default::default()
    };
    app.dispute(&a, q, "close", &input).await.unwrap();
    assert_eq!(ids_of(&app, None, "kettles closed:yes").await, vec![q]);
    // Delete: gone, with its answers.
    app.delete(&a, q).await.unwrap();
    assert!(ids_of(&app, None, "whistle").await.is_empty());
    assert_eq!(ids_of(&app, None, "kettles").await.len(), 2);
    // The index holds exactly the searchable posts.
    app.search_sync().await.unwrap();
    let n = app.search_indexed().await.unwrap();
    assert_eq!(n as i64, app.store.count_indexable().await.unwrap());
    // On PostgreSQL a single word is counted from the cached word counts:
    // they follow the edit, the new posts and the delete exactly.
    assert_eq!(app.search_count_drift().await.unwrap(), 0);
    assert_eq!(search(&app, None, "kettles").await.total, 2);
    assert_eq!(search(&app, None, "teapots").await.total, 0);
    assert_eq!(search(&app, None, "entangled").await.total, 2);
    // A common word beside it ranks but does not match on its own.
    let piano = app
        .ask(&bob, &form("How, how and how: tuning a piano"))
        .await
        .unwrap();
    // (With pages of one and one candidate a source, PostgreSQL ranks
    // candidates, among them the posts with "how" in the title.)
    let few = app.with_search_rules(guildhall_domain::search::SearchRules {
        candidate_limit: 1,
        page_size: 1,
        ..Default::default()
    });
    // Two answers say "kettles" in their bodies; the questions have it in
    // their titles, so they are the word's strongest posts (heads).
    for body in [
        "Descale the kettles monthly.",
        "Kettles want descaling monthly too.",
    ] {
        app.answer(&alice, twin, body).await.unwrap();
    }
    // Newer posts than the answers, more than the candidates' windows hold:
    // "descaling monthly" (both words required, in no title) is then found
    // among the newest matches (on PostgreSQL, from the postings).
    // (Times are in seconds: a second later, they are strictly newer.)
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for i in 0..12 {
        app.ask(&bob, &form(&format!("Tuning fork number {i}")))
            .await
            .unwrap();
    }
    for app in [&app, &few] {
        let both = search(app, None, "descaling monthly").await;
        assert_eq!(both.total, 2);
        assert!(!both.hits.is_empty());
        assert!(both.hits.iter().all(|h| h.kind == "answer"), "{both:?}");
        let how = search(app, None, "how kettles").await;
        assert!(!how.hits.iter().any(|h| h.id == piano), "{how:?}");
        assert_eq!(how.total, 4);
        // A filter holds for candidates from heads too.
        let answers = search(app, None, "kettles is:answer").await;
        assert_eq!(answers.total, 2);
        assert!(!answers.hits.is_empty());
        assert!(
            answers.hits.iter().all(|h| h.kind == "answer"),
            "{answers:?}"
        );
    }
    // So is a two-word phrase, from the count of its pair.
    assert_eq!(search(&app, None, "\"second opinion\"").await.total, 2);
    assert_eq!(
        search(&app, None, "\"quantum entanglement\"").await.total,
        0
    );
});

on_both!(tags_synonyms_follows, |app: App| async move {
    let a = world(&app).await;
    app.create_tag(&a, "javascript", "The language of the web.")
        .await
        .unwrap();
    let alice = user(&app, "alice").await;
    // A newcomer may not add synonyms.
    assert!(app
        .add_tag_synonym(&alice, "javascript", "js")
        .await
        .is_err());
    app.add_tag_synonym(&a, "javascript", "js").await.unwrap();
    // Duplicates and a tag in use are refused.
    assert!(app.add_tag_synonym(&a, "javascript", "js").await.is_err());
    assert!(app
        .add_tag_synonym(&a, "javascript", "general")
        .await
        .is_err());
    // Asking with the synonym files the question under the tag.
    let q = app
        .ask(
            &alice,
            &QuestionForm {
                title: "Why does my closure capture the loop variable".into(),
                body: form("x").body,
                tags: "js".into(),
            },
        )
        .await
        .unwrap();
    let post = app.store.post(q).await.unwrap().unwrap();
    assert_eq!(post.tags, vec!["javascript"]);
    // Searching the synonym finds the tag, as a word and as [tag].
    assert_eq!(ids_of(&app, None, "js").await, vec![q]);
    assert_eq!(ids_of(&app, None, "[js] closure").await, vec![q]);
    // The tag page follows the synonym.
    let d = app.tag_detail("JS", Some(&alice)).await.unwrap();
    assert_eq!(d.tag.name, "javascript");
    assert_eq!(d.synonyms[0].synonym, "js");
    // Follow, unfollow, and the followed-questions list.
    app.follow_tag(&alice, "js", true).await.unwrap();
    app.follow_tag(&alice, "javascript", true).await.unwrap();
    let d = app.tag_detail("javascript", Some(&alice)).await.unwrap();
    assert!(d.following);
    assert_eq!(d.followers, 1);
    let (mine, _) = app
        .own_questions(&alice, OwnList::Following, 1)
        .await
        .unwrap();
    assert_eq!(mine.iter().map(|p| p.id).collect::<Vec<_>>(), vec![q]);
    // The directory: by popularity, by name, filtered.
    app.create_tag(&a, "zig", "").await.unwrap();
    let dir = app
        .tag_directory(Some(&alice), Some("name"), "", 1)
        .await
        .unwrap();
    let names: Vec<&str> = dir.tags.iter().map(|t| t.tag.name.as_str()).collect();
    assert_eq!(names, vec!["general", "javascript", "zig"]);
    assert_eq!(dir.following, vec!["javascript"]);
    let dir = app
        .tag_directory(None, Some("popular"), "", 1)
        .await
        .unwrap();
    assert_eq!(dir.tags[0].tag.name, "javascript");
    assert!(
        dir.tags.iter().all(|t| t.tag.name != "zig"),
        "unused tags only by name"
    );
    let dir = app
        .tag_directory(None, Some("name"), "ja", 1)
        .await
        .unwrap();
    assert_eq!(dir.tags.len(), 1);
    // A NUL is dropped (PostgreSQL text cannot hold it): the whole directory.
    let dir = app
        .tag_directory(None, Some("name"), "\0", 1)
        .await
        .unwrap();
    assert_eq!(dir.tags.len(), 3);
    for odd in ["%_", "'; DROP TABLE tags; --"] {
        let dir = app.tag_directory(None, Some("name"), odd, 1).await.unwrap();
        assert!(dir.tags.is_empty(), "{odd:?}");
    }
    app.follow_tag(&alice, "javascript", false).await.unwrap();
    assert!(app.followed_tags(&alice).await.unwrap().is_empty());
    // Merging makes the old name a synonym of the new one.
    app.create_tag(&a, "ecmascript", "").await.unwrap();
    let q2 = app
        .ask(
            &alice,
            &QuestionForm {
                title: "Optional chaining in older browsers".into(),
                body: form("x").body,
                tags: "ecmascript".into(),
            },
        )
        .await
        .unwrap();
    app.merge_tags(&a, "ecmascript", "javascript")
        .await
        .unwrap();
    assert_eq!(ids_of(&app, None, "[ecmascript] chaining").await, vec![q2]);
    app.remove_tag_synonym(&a, "js").await.unwrap();
    assert!(ids_of(&app, None, "[js]").await.is_empty());
});

on_both!(feeds, |app: App| async move {
    let _a = world(&app).await;
    let alice = user(&app, "alice").await;
    let q1 = app
        .ask(&alice, &form("The first question in the feed"))
        .await
        .unwrap();
    let q2 = app
        .ask(&alice, &form("The second question in the feed"))
        .await
        .unwrap();
    let ans = app.answer(&alice, q1, BODY).await.unwrap();
    let f = app.feed_newest("Newest".into()).await.unwrap();
    let ids: Vec<i64> = f.entries.iter().map(|e| e.id).collect();
    assert_eq!(&ids[..2], &[q2, q1]);
    assert!(f.entries[0].content_html.contains("<p>"));
    let f = app.feed_tag("general", |t| format!("[{t}]")).await.unwrap();
    assert_eq!(f.title, "[general]");
    assert_eq!(f.entries.len(), 2);
    let f = app
        .feed_question(q1, |t| format!("Answer: {t}"))
        .await
        .unwrap();
    assert_eq!(f.entries[0].id, ans);
    assert!(f.entries[0].link.ends_with(&format!("#post-{ans}")));
    assert!(app.feed_tag("nosuch", |t| t.to_string()).await.is_err());
});

// Random queries never fail: whatever is typed, a result or a notice.
on_both!(random_queries, |app: App| async move {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let _ids = corpus(&app).await;
    let alphabet: Vec<char> =
        "ab 连接池 \"'[]-:+!&|()<>*?~^\\/{}%_.,;=@#$ 0123456789 \t\n\u{0}\u{200b}é"
            .chars()
            .collect();
    let strategy = proptest::collection::vec(proptest::sample::select(alphabet), 0..120)
        .prop_map(|v| v.into_iter().collect::<String>());
    let mut runner = TestRunner::new(Config {
        cases: 200,
        ..Config::default()
    });
    let mut queries = Vec::new();
    for _ in 0..200 {
        queries.push(strategy.new_tree(&mut runner).unwrap().current());
    }
    // And the named cases.
    let specials = "+ - && || ! ( ) { } [ ] ^ \" ~ * ? : \\ / & | <-> <1> ' @@ :* !! %";
    queries.push(specials.to_string());
    for s in specials.split(' ') {
        queries.push(s.to_string());
        queries.push(format!("rust {s}"));
        queries.push(format!("{s}连接池{s}"));
    }
    queries.push("x".repeat(10_000));
    queries.push("连接池 ".repeat(3_000));
    queries.push("\"unbalanced quote".into());
    queries.push("created:2026-02-30 score:>>5 answers:-1 is:? user:".into());
    queries.push("[] [ ] [[rust]] [rust".into());
    queries.push("*".into());
    for q in &queries {
        for sort in ["relevance", "newest", "votes"] {
            let r = app.search(None, q, Some(sort), 1).await;
            assert!(r.is_ok(), "{q:?} ({sort}): {r:?}");
        }
        assert!(app.similar_questions(q).await.is_ok(), "similar {q:?}");
    }
});

on_both!(any_rules_an_administrator_saves, |app: App| async move {
    use guildhall_domain::search::SearchRules;
    let _ids = corpus(&app).await;
    let d = SearchRules::default();
    // Extremes an administrator can save (the form keeps what `clamp`
    // leaves): no boost at all, boosts far apart either way, no weight for
    // votes or age, all weight on age, the smallest candidate limit.
    let rules = [
        SearchRules {
            title_boost: 0.0,
            tag_boost: 0.0,
            ..d.clone()
        },
        SearchRules {
            title_boost: 0.5,
            tag_boost: 50.0,
            ..d.clone()
        },
        SearchRules {
            title_boost: 1_000.0,
            tag_boost: -3.0,
            accepted_boost: -1.0,
            ..d.clone()
        },
        SearchRules {
            vote_weight: 0.0,
            recency_weight: 0.0,
            accepted_boost: 0.0,
            ..d.clone()
        },
        SearchRules {
            recency_weight: 1.0,
            recency_half_life_days: 0.0,
            vote_weight: f64::NAN,
            ..d.clone()
        },
        SearchRules {
            candidate_limit: 0,
            max_counted: 0,
            page_size: 0,
            ..d.clone()
        },
    ];
    let queries = [
        "connection pool",
        "连接池",
        "\"connection pool\"",
        "[rust] pool",
        "pool is:answer",
        "pool -tokio",
    ];
    // Rules change the order, never what matches.
    let mut matches = Vec::new();
    for q in queries {
        let found = app.search(None, q, None, 1).await.unwrap();
        matches.push(found.total);
    }
    assert!(
        matches.iter().filter(|n| **n > 0).count() >= 5,
        "{matches:?}"
    );
    for r in rules {
        let r = r.clamp();
        let app = app.with_search_rules(r.clone());
        for (q, n) in queries.iter().zip(&matches) {
            for sort in ["relevance", "newest", "votes"] {
                let found = app.search(None, q, Some(sort), 1).await;
                let found = found.unwrap_or_else(|e| panic!("{q:?} ({sort}) with {r:?}: {e:?}"));
                assert_eq!(found.total, *n, "{q:?} ({sort}) with {r:?}");
                assert_eq!(
                    found.hits.len(),
                    (*n).min(r.page_size as usize),
                    "{q:?} ({sort}) with {r:?}"
                );
            }
        }
    }
});

on_both!(similar_questions, |app: App| async move {
    let ids = corpus(&app).await;
    let s = app
        .similar_questions("share a connection pool across tasks")
        .await
        .unwrap();
    assert_eq!(s.first().map(|x| x.id), Some(ids["q_pool"]));
    assert!(s[0].accepted && s[0].answers == 1);
    let s = app.similar_questions("数据库连接池 共享").await.unwrap();
    assert_eq!(s.first().map(|x| x.id), Some(ids["q_zh_pool"]));
    assert!(s.len() <= 5);
    assert!(app
        .similar_questions("how to the")
        .await
        .unwrap()
        .is_empty());
    assert!(app.similar_questions("").await.unwrap().is_empty());
});

/// The embedded index lives on disk: it survives a restart, and changes
/// committed to the database but not yet to the index (a killed process)
/// are applied from the outbox at the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_index_is_durable() {
    let dir = crate::harness::scratch("search-durable");
    let _ = std::fs::remove_dir_all(&dir);
    let config = || guildhall_services::ServiceConfig {
        search_dir: Some(dir.join("search")),
        ..Default::default()
    };
    let open = || async {
        let store = guildhall_storage::Store::open_data_dir(&dir).await.unwrap();
        crate::harness::app_on(store, config()).await
    };
    let app = open().await;
    assert!(app.search_check().await.is_ok());
    let _a = world(&app).await;
    let alice = user(&app, "alice").await;
    let q = app
        .ask(&alice, &form("Persistent zeppelin question"))
        .await
        .unwrap();
    app.search_sync().await.unwrap();
    // A change the index has not seen yet when the process "dies".
    let q2 = app
        .ask(&alice, &form("Unsynced blimp question"))
        .await
        .unwrap();
    app.store.close().await;
    drop(app);
    let app = open().await;
    assert!(!app.search_check().await.unwrap(), "no rebuild needed");
    assert_eq!(ids_of(&app, None, "zeppelin").await, vec![q]);
    assert_eq!(ids_of(&app, None, "blimp").await, vec![q2]);
    app.store.close().await;
    drop(app);
    // A damaged index is rebuilt from the database.
    let seg = dir.join("search").join("meta.json");
    std::fs::write(&seg, "{ not json").unwrap();
    let app = open().await;
    assert!(app.search_check().await.unwrap(), "rebuilt");
    assert_eq!(ids_of(&app, None, "zeppelin").await, vec![q]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A second process on the same data directory (`guildhall recompute` or
/// `search query` beside `serve`) opens, searches and writes the database
/// while the first holds the index writer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_beside_the_index_writer() {
    let dir = crate::harness::scratch("search-two");
    let _ = std::fs::remove_dir_all(&dir);
    let open = || async {
        let store = guildhall_storage::Store::open_data_dir(&dir).await.unwrap();
        let config = guildhall_services::ServiceConfig {
            search_dir: Some(dir.join("search")),
            ..Default::default()
        };
        crate::harness::app_on(store, config).await
    };
    let serve = open().await;
    let _a = world(&serve).await;
    let alice = user(&serve, "alice").await;
    let q = serve
        .ask(&alice, &form("Lighthouse keeper rotations"))
        .await
        .unwrap();
    serve.search_sync().await.unwrap();
    let other = open().await;
    assert!(other.recompute(false).await.is_ok());
    assert_eq!(ids_of(&other, None, "lighthouse").await, vec![q]);
    // Its writes reach the index through the writer's next sync.
    let q2 = other
        .ask(&alice, &form("Foghorn maintenance schedule"))
        .await
        .unwrap();
    serve.search_sync().await.unwrap();
    assert_eq!(ids_of(&serve, None, "foghorn").await, vec![q2]);
    let _ = std::fs::remove_dir_all(&dir);
}

// Both engines stop counting at `max_counted` and say more posts match
// (the rules' floor keeps this above what 50 pages need, so the engine
// is asked directly here, with a small cap).
on_both!(counts_stop_at_the_cap, |app: App| async move {
    let ids = corpus(&app).await;
    let index = guildhall_search::SearchIndex::open(
        app.store.clone(),
        &guildhall_search::IndexConfig::default(),
    )
    .unwrap();
    index.rebuild(&|_, _| {}).await.unwrap();
    if app.search_engine() == "postgresql" {
        // The rebuild built the indexes it set aside again, the partial
        // one of questions' words too.
        let built = app
            .store
            .count_for_test(
                "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'search_docs_question_tsv' AND indexdef LIKE '%WHERE (kind = 1)%'",
            )
            .await
            .unwrap();
        assert_eq!(built, 1);
    }
    let query = guildhall_search::query::parse(
        "rust",
        guildhall_search::query::Limits {
            max_terms: 32,
            max_tags: 5,
        },
    );
    let plan = |offset| {
        guildhall_search::plan::plan(guildhall_search::plan::PlanInput {
            query: &query,
            resolved: &Default::default(),
            sort: Default::default(),
            offset,
            limit: 2,
            now: 2_000_000_000,
        })
    };
    let all = index
        .search(&plan(0), &guildhall_domain::search::SearchRules::default())
        .await
        .unwrap();
    assert!(
        all.total > 4 && !all.more,
        "{all:?} over {} posts",
        ids.len()
    );
    let rules = guildhall_domain::search::SearchRules {
        max_counted: 3,
        ..Default::default()
    };
    let capped = index.search(&plan(0), &rules).await.unwrap();
    assert_eq!((capped.total, capped.more), (3, true));
    assert_eq!(
        capped.ids, all.ids,
        "the cap changes the count, not the page"
    );
    // A page past the cap still counts as far as itself.
    let deeper = index.search(&plan(2), &rules).await.unwrap();
    assert_eq!((deeper.total, deeper.more), (4, true));
});

/// The search index rebuilt from the app's database, to be queried below
/// the service layer with the rules a test chooses.
async fn rebuilt(app: &App) -> guildhall_search::SearchIndex {
    let index = guildhall_search::SearchIndex::open(
        app.store.clone(),
        &guildhall_search::IndexConfig::default(),
    )
    .unwrap();
    index.rebuild(&|_, _| {}).await.unwrap();
    index
}

/// A page of `text` ranked by relevance with `rules`, at a fixed time.
async fn found(
    index: &guildhall_search::SearchIndex,
    text: &str,
    offset: usize,
    limit: usize,
    rules: guildhall_domain::search::SearchRules,
) -> guildhall_search::Found {
    let query = guildhall_search::query::parse(
        text,
        guildhall_search::query::Limits {
            max_terms: 32,
            max_tags: 5,
        },
    );
    // Every `[tag]` names a tag of its own name.
    let resolved = guildhall_search::plan::Resolved {
        tags: query.tags.iter().map(|t| (t.clone(), t.clone())).collect(),
        author: None,
    };
    let plan = guildhall_search::plan::plan(guildhall_search::plan::PlanInput {
        query: &query,
        resolved: &resolved,
        sort: Default::default(),
        offset,
        limit,
        now: 2_000_000_000,
    });
    index.search(&plan, &rules).await.unwrap()
}

/// A member who asks, after `world`'s administrator has created `tags`.
async fn asker_with_tags(app: &App, tags: &[&str]) -> UserRecord {
    let a = world(app).await;
    for tag in tags {
        app.create_tag(&a, tag, "").await.unwrap();
    }
    user(app, "asker").await
}

/// Sets a post's score and moves its date by `shift` seconds, as votes
/// and age would have.
async fn restate(app: &App, id: i64, score: i64, shift: i64) {
    app.store
        .exec_raw_for_test(&format!(
            "UPDATE posts SET score = {score}, created_at = created_at + {shift} WHERE id = {id}"
        ))
        .await
        .unwrap();
}

/// A question with `tags`.
fn tagged(title: String, body: String, tags: &str) -> QuestionForm {
    QuestionForm {
        title,
        body,
        tags: tags.to_string(),
    }
}

// PostgreSQL ranks a bounded set of candidates (the newest matches and
// each word's strongest posts) instead of every match. With a limit far
// below the matches, the best match — the one post with the word in its
// title, older than all the others — must still come first, on both
// engines (the embedded one prunes exactly and ignores the limit).
on_both!(
    a_candidate_limit_keeps_the_best_match,
    |app: App| async move {
        let asker = asker_with_tags(&app, &["lighthouses"]).await;
        let ask = |title: String, body: String| tagged(title, body, "lighthouses");
        let best = app
            .ask(
                &asker,
                &ask(
                    "Rotating a foghorn keeper roster".into(),
                    "Who keeps the foghorn running through the winter storms?".into(),
                ),
            )
            .await
            .unwrap();
        // Posts with a word only in their bodies.
        let mut lanterns = Vec::new();
        for i in 0..4 {
            let (title, body) = (
                format!("Supply ledger entry {i}"),
                format!("Brass lanterns, batch {i}, were cleaned and refilled."),
            );
            lanterns.push(app.ask(&asker, &ask(title, body)).await.unwrap());
        }
        let mut others = Vec::new();
        for i in 0..40 {
            let (title, body) = (
            format!("Coastal tower notes, part {i}"),
            format!("Notes number {i} about coastal towers mention the foghorn once, among other things."),
        );
            others.push(app.ask(&asker, &ask(title, body)).await.unwrap());
        }
        // A word in three titles, older, and in the bodies of the three
        // newest posts, votes mixing their order.
        let mut beacons = Vec::new();
        for title in [
            "Beacon lamp upkeep",
            "Painting the beacon gallery rail",
            "Beacon at the pier",
        ] {
            let body =
                format!("Notes on {title}, kept by the harbour office.").replace("eacon", "");
            beacons.push(app.ask(&asker, &ask(title.into(), body)).await.unwrap());
        }
        for i in 0..3 {
            let (title, body) = (
                format!("Harbour log {i}"),
                format!("The beacon was lit at dusk on day {i}, as every day."),
            );
            beacons.push(app.ask(&asker, &ask(title, body)).await.unwrap());
        }
        // The last three a minute newer than the rest: the newest posts.
        for (i, (id, score)) in beacons.iter().zip([-8, 2, -3, 300, 0, 60]).enumerate() {
            let later = if i < 3 { 0 } else { 60 };
            restate(&app, *id, score, later).await;
        }
        // A day older than the rest, so none is among the newest posts.
        let old: Vec<String> = lanterns
            .iter()
            .chain([&best])
            .chain(&beacons[..3])
            .map(i64::to_string)
            .collect();
        app.store
            .exec_raw_for_test(&format!(
                "UPDATE posts SET created_at = created_at - 86400 WHERE id IN ({})",
                old.join(", ")
            ))
            .await
            .unwrap();
        let index = rebuilt(&app).await;
        let search = |word: &'static str, rules: guildhall_domain::search::SearchRules| {
            found(&index, word, 0, 3, rules)
        };
        let bounded = guildhall_domain::search::SearchRules {
            candidate_limit: 2,
            ..Default::default()
        };
        let exact = search("foghorn", Default::default()).await;
        assert_eq!(exact.ids[0], best, "{exact:?}");
        // The newest posts are three of the others; the heads bring the best.
        let r = search("foghorn", bounded.clone()).await;
        assert_eq!(r.ids[0], best, "{r:?}");
        assert!(r.ids[1..].iter().all(|id| others.contains(id)), "{r:?}");
        // The count is not bounded by the candidates.
        assert_eq!((r.total, r.more), (41, false));
        // No candidate matches (not in a title, not among the newest posts):
        // the newest matches are ranked instead (the forty newer posts fill
        // both windows of newest posts), and the page is still full.
        let r = search("lanterns", bounded.clone()).await;
        assert_eq!((r.ids.len(), r.total), (3, 4), "{r:?}");
        assert!(r.ids.iter().all(|id| lanterns.contains(id)), "{r:?}");
        // Three candidates from titles, three from the newest posts: ranked
        // from what each source reads, they come in the order of every
        // match ranked, titles and bodies mixed.
        let exact = search("beacon", Default::default()).await;
        let r = search("beacon", bounded.clone()).await;
        assert_eq!(r.ids, exact.ids, "{beacons:?}");
        // Two words, one in the titles and the other in the bodies of each
        // half: candidates from both words' heads and the newest posts,
        // checked and ranked on the posts.
        let all = search("beacon harbour", Default::default()).await;
        let r = search("beacon harbour", bounded.clone()).await;
        assert_eq!(
            (r.ids.clone(), r.total),
            (all.ids.clone(), 6),
            "{beacons:?}"
        );
        // With other boosts, as an administrator may set them, too: the
        // heads carry positions, not a rank computed with the defaults.
        let boosts = guildhall_domain::search::SearchRules {
            title_boost: 1.0,
            tag_boost: 4.0,
            ..Default::default()
        };
        let reboosted = search("beacon", boosts.clone()).await;
        assert_ne!(reboosted.ids, exact.ids, "the boosts change the order");
        let r = search(
            "beacon",
            guildhall_domain::search::SearchRules {
                candidate_limit: 2,
                ..boosts
            },
        )
        .await;
        assert_eq!(r.ids, reboosted.ids, "{beacons:?}");
        assert_eq!(r.total, 6);
        assert!(
            exact.ids.iter().any(|id| beacons[..3].contains(id)),
            "{exact:?} {beacons:?}"
        );
        assert!(
            exact.ids.iter().any(|id| beacons[3..].contains(id)),
            "{exact:?} {beacons:?}"
        );
    }
);

// PostgreSQL ranks a conjunction (a Chinese word jieba splits, 持续集成 →
// 持续 & 集成) exactly only for its candidates of highest bound, as far as
// the page needs. Here the best match is old, so only a word's heads bring
// it, with a bound as high as its rank; twelve newer matches, ranked where
// the newest posts are read, fill more than the ten places a page of one
// gives and rank a little below it. With 互斥锁, short posts with 互斥 in
// their titles and many votes bound highest and do not match: the page
// then comes from every candidate ranked. Either way it is the page every
// match ranked gives, on both engines.
on_both!(
    a_conjunction_is_ranked_as_far_as_its_bounds_reach,
    |app: App| async move {
        let asker = asker_with_tags(&app, &["pipelines"]).await;
        // Thirteen matches of `word`: the best, a day old, and twelve
        // newer, the newest posts of all when `age` is 0; votes order them.
        let matches = |word: &'static str, age: i64| {
            let (app, asker) = (&app, &asker);
            async move {
                let (mut ids, mut sql) = (Vec::new(), Vec::new());
                for i in 0..13 {
                    let form = QuestionForm {
                        title: format!("{word} 流水线 笔记 {i}"),
                        body: format!("流水线 配置 说明 第 {i} 篇 记录 构建 步骤 与 缓存"),
                        tags: "pipelines".to_string(),
                    };
                    let id = app.ask(asker, &form).await.unwrap();
                    let (score, shift) = if i == 0 { (20, -86_400) } else { (i - 1, 60) };
                    sql.push(format!(
                        "UPDATE posts SET score = {score}, created_at = created_at + {} WHERE id = {id}",
                        shift - age
                    ));
                    ids.push(id);
                }
                (ids, sql)
            }
        };
        let (locks, mut sql) = matches("互斥锁", 3 * 86_400).await;
        let (pipelines, more) = matches("持续集成", 0).await;
        sql.extend(more);
        for i in 0..12 {
            let form = QuestionForm {
                title: format!("互斥{} {i}", "。".repeat(8)),
                body: format!("{} {i}", "。".repeat(20)),
                tags: "pipelines".to_string(),
            };
            let id = app.ask(&asker, &form).await.unwrap();
            sql.push(format!(
                "UPDATE posts SET score = 50, created_at = created_at - {} WHERE id = {id}",
                3 * 86_400
            ));
        }
        // Three posts with 负载均衡, two with its words apart.
        for (i, title) in [
            "负载均衡 配置 记录 一",
            "负载均衡 配置 记录 二",
            "负载均衡 配置 记录 三",
            "均衡 配置 与 负载 记录 四",
            "均衡 配置 与 负载 记录 五",
        ]
        .iter()
        .enumerate()
        {
            let form = QuestionForm {
                title: title.to_string(),
                body: format!("流水线 配置 说明 第 {i} 篇 记录 构建 步骤"),
                tags: "pipelines".to_string(),
            };
            let id = app.ask(&asker, &form).await.unwrap();
            sql.push(format!(
                "UPDATE posts SET created_at = created_at - {} WHERE id = {id}",
                4 * 86_400
            ));
        }
        for statement in &sql {
            app.store.exec_raw_for_test(statement).await.unwrap();
        }
        let index = rebuilt(&app).await;
        let search = |text: &'static str,
                      offset: usize,
                      limit: usize,
                      rules: guildhall_domain::search::SearchRules| {
            found(&index, text, offset, limit, rules)
        };
        let bounded = guildhall_domain::search::SearchRules {
            candidate_limit: 12,
            ..Default::default()
        };
        for (word, ids) in [("持续集成", &pipelines), ("互斥锁", &locks)] {
            let all = search(word, 0, 13, Default::default()).await;
            assert_eq!(all.total, 13);
            assert_eq!(all.ids[..2], [ids[0], ids[12]], "{word}: {all:?}");
            for (offset, limit) in [(0, 1), (1, 1), (0, 2), (3, 2), (0, 13)] {
                let r = search(word, offset, limit, bounded.clone()).await;
                assert_eq!(
                    r.ids,
                    all.ids[offset..offset + limit],
                    "{word}: page of {limit} from {offset}, matches {ids:?}"
                );
                assert_eq!(r.total, 13);
            }
        }
        // Counted up to a cap: where the words stand side by side in
        // more posts than it, the count is known without merging their
        // posts; where they do not, the posts with them apart count too.
        for (cap, counted) in [
            (2, (2, true)),
            (3, (3, true)),
            (4, (4, true)),
            (5, (5, false)),
        ] {
            let rules = guildhall_domain::search::SearchRules {
                max_counted: cap,
                ..Default::default()
            };
            let r = search("负载均衡", 0, 1, rules).await;
            assert_eq!((r.total, r.more), counted, "cap {cap}");
        }
    }
);

// A bounded page stands only above every bound left out. For a page of
// one, the ten candidates of highest bound are short posts with 持续 alone
// and many votes (they do not match), and the eleventh holds 集成 far down
// its body: it matches, ranks near 0 and fills the page. The best match
// bounds lower (no votes) and is left out, so the page must come from
// every candidate ranked, on both engines.
on_both!(
    a_bounded_page_stands_only_above_what_it_left_out,
    |app: App| async move {
        let asker = asker_with_tags(&app, &["pipelines"]).await;
        let ask = |title: String, body: String| tagged(title, body, "pipelines");
        let mut voted = Vec::new();
        for i in 0..10 {
            voted.push(
                app.ask(
                    &asker,
                    &ask(format!("持续{} {i}", "。".repeat(8)), "。".repeat(20)),
                )
                .await
                .unwrap(),
            );
        }
        let far = app
            .ask(
                &asker,
                &ask(
                    format!("持续{} 远", "。".repeat(8)),
                    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron 集成".into(),
                ),
            )
            .await
            .unwrap();
        voted.push(far);
        // Twelve more matches, longer, without votes: more than a source
        // gives, and all ranked below the best.
        for i in 0..12 {
            let title = format!("持续集成 记录 {i} 构建 步骤 缓存 配置 说明");
            app.ask(&asker, &ask(title, "。".repeat(20))).await.unwrap();
        }
        // The best is the newest post, so a candidate whatever the order
        // of equal heads; its rank is its bound.
        let best = app
            .ask(
                &asker,
                &ask(
                    format!("持续集成 笔记{}", "。".repeat(6)),
                    format!("记录{}", "。".repeat(20)),
                ),
            )
            .await
            .unwrap();
        for id in &voted {
            restate(&app, *id, 50, 0).await;
        }
        let index = rebuilt(&app).await;
        let all = found(&index, "持续集成", 0, 14, Default::default()).await;
        assert_eq!((all.ids[0], all.ids[13], all.total), (best, far, 14));
        let bounded = guildhall_domain::search::SearchRules {
            candidate_limit: 12,
            ..Default::default()
        };
        for (offset, limit) in [(0, 1), (0, 2), (1, 1)] {
            let r = found(&index, "持续集成", offset, limit, bounded.clone()).await;
            assert_eq!(
                r.ids,
                all.ids[offset..offset + limit],
                "page of {limit} from {offset}"
            );
        }
    }
);

// Heads of equal impact — a tag's weigh every post alike — are read
// newest first, as ranking prefers the newest of equals. Ten posts with
// the tag and the word (in their bodies, so the word has no heads), older
// than six posts without the tag that fill the newest posts' window: with
// three candidates a source, the tag's heads must give the newest three.
on_both!(equal_heads_are_read_newest_first, |app: App| async move {
    let asker = asker_with_tags(&app, &["buoys", "charts"]).await;
    let ask = tagged;
    let mut moored = Vec::new();
    for i in 0..10 {
        let (title, body) = (
            format!("Mooring inspection {i}"),
            format!("The anchor chain of mooring {i} was checked for wear."),
        );
        let id = app.ask(&asker, &ask(title, body, "buoys")).await.unwrap();
        // A day apart, oldest first, all older than the others.
        restate(&app, id, 0, -86_400 * (20 - i)).await;
        moored.push(id);
    }
    for i in 0..6 {
        let (title, body) = (
            format!("Sounding record {i}"),
            format!("Depth soundings for sector {i}."),
        );
        app.ask(&asker, &ask(title, body, "charts")).await.unwrap();
    }
    let index = rebuilt(&app).await;
    let exact = found(&index, "[buoys] chain", 0, 3, Default::default()).await;
    let newest: Vec<i64> = moored.iter().rev().take(3).copied().collect();
    assert_eq!((exact.ids.clone(), exact.total), (newest.clone(), 10));
    let bounded = guildhall_domain::search::SearchRules {
        candidate_limit: 3,
        ..Default::default()
    };
    let r = found(&index, "[buoys] chain", 0, 3, bounded).await;
    assert_eq!((r.ids, r.total), (newest, 10), "{moored:?}");
});

// A phrase's matches among the newest posts are candidates too, read
// outside the index: PostgreSQL checks their words first and their pairs
// (stored apart) only when the words are there. Three old posts hold the
// phrase in their titles, three of the newest in their bodies, and votes
// mix them: with two candidates a source, the page is the one every match
// ranked gives, on both engines.
on_both!(
    a_phrase_s_newest_matches_are_candidates,
    |app: App| async move {
        let asker = asker_with_tags(&app, &["tides"]).await;
        let ask = |title: String, body: String| tagged(title, body, "tides");
        let mut gauges = Vec::new();
        for i in 0..3 {
            let (title, body) = (
                format!("Tidal gauge calibration, station {i}"),
                format!("Station {i} reads the water level twice a day."),
            );
            gauges.push(app.ask(&asker, &ask(title, body)).await.unwrap());
        }
        // The gauge and the tide apart, in the newest posts too.
        for i in 0..3 {
            let (title, body) = (
                format!("Harbour survey {i}"),
                format!("The gauge at the quay and the tidal charts disagree on day {i}."),
            );
            app.ask(&asker, &ask(title, body)).await.unwrap();
        }
        for i in 0..3 {
            let (title, body) = (
                format!("Quay report {i}"),
                format!("Our tidal gauge drifted by {i} centimetres this week."),
            );
            gauges.push(app.ask(&asker, &ask(title, body)).await.unwrap());
        }
        // Old titles, newest bodies, votes mixing their order.
        for (i, (id, score)) in gauges.iter().zip([-8, 2, -3, 300, 0, 60]).enumerate() {
            // The newest a minute apart, the best-voted newest of all.
            let when = if i < 3 { -86_400 } else { 60 * (6 - i as i64) };
            restate(&app, *id, score, when).await;
        }
        let index = rebuilt(&app).await;
        let exact = found(&index, "\"tidal gauge\"", 0, 3, Default::default()).await;
        assert_eq!(exact.total, 6, "{exact:?}");
        assert!(exact.ids.contains(&gauges[3]), "{exact:?} {gauges:?}");
        assert!(
            exact.ids.iter().any(|id| gauges[..3].contains(id)),
            "{exact:?} {gauges:?}"
        );
        let bounded = guildhall_domain::search::SearchRules {
            candidate_limit: 2,
            ..Default::default()
        };
        for (offset, limit) in [(0, 3), (0, 1), (1, 2), (3, 3)] {
            let all = found(&index, "\"tidal gauge\"", offset, limit, Default::default()).await;
            let r = found(&index, "\"tidal gauge\"", offset, limit, bounded.clone()).await;
            assert_eq!(
                (r.ids.clone(), r.total),
                (all.ids.clone(), 6),
                "{offset} {limit} {gauges:?}"
            );
        }
    }
);
