//! Search, tags and feeds over HTTP, on the demo community.

use crate::*;

fn well_formed(xml: &str) -> usize {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut elements = 0;
    loop {
        match r.read_event() {
            Ok(quick_xml::events::Event::Eof) => return elements,
            Ok(quick_xml::events::Event::Start(_)) => elements += 1,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML at {}: {e}\n{xml}", r.buffer_position()),
        }
    }
}

#[tokio::test]
async fn search_pages_and_api_never_fail() {
    let w = world().await;
    let b = w.browser().await;
    let r = w.get(&b, &format!("/search?q={}", q("sqlite 锁定"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("<mark>"), "{}", r.text);
    // The search box is on every page.
    assert!(w.get(&b, "/tags").await.text.contains("action=\"/search\""));
    for hostile in [
        "",
        "\"unbalanced",
        "+ - && || ! ( ) { } [ ] ^ ~ * ? : \\ / <-> :* ' @@",
        "created:2026-99-99 score:abc is:nothing",
        "<script>alert(1)</script>",
        "[a] [b] [c] [d] [e] [f] [g]",
        "user:me",
        "*",
    ] {
        for sort in ["relevance", "newest", "votes", "bogus"] {
            let r = w
                .get(&b, &format!("/search?q={}&sort={sort}&page=2", q(hostile)))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{hostile:?}");
            assert!(!r.text.contains("<script>alert"), "{hostile:?} escaped");
        }
    }
    let long = "连接池 rust ".repeat(1_500);
    let r = w.get(&b, &format!("/search?q={}", q(&long))).await;
    assert_eq!(r.status, StatusCode::OK);
    // Notices in the reader's language.
    let r = w
        .get(&b, &format!("/search?q={}", q("created:2026-02-30 sqlite")))
        .await;
    assert!(r.text.contains("was ignored"), "{}", r.text);
    let r = w
        .api(
            "GET",
            &format!("/search?q={}", q("[sqlite] is:question")),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert!(j["results"]["total"].as_u64().unwrap() >= 2, "{j}");
    assert!(j["results"]["hits"][0]["title_html"].is_string());
    let r = w
        .api("GET", &format!("/search?q={}", q("score:x")), None, None)
        .await;
    assert_eq!(r.json()["messages"].as_array().unwrap().len(), 1);
    // Help, in both languages.
    let r = w.get(&b, "/search/help").await;
    assert!(r.text.contains("hasaccepted:yes|no"));
    let zh = Browser {
        lang: Some("zh-CN".into()),
        ..b.clone()
    };
    assert!(w.get(&zh, "/search/help").await.text.contains("搜索语法"));
}

#[tokio::test]
async fn similar_questions_with_and_without_javascript() {
    let w = world().await;
    let r = w
        .api(
            "GET",
            &format!(
                "/questions/similar?title={}",
                q("share a connection pool in axum")
            ),
            None,
            None,
        )
        .await;
    let j = r.json();
    let first = &j[0];
    assert!(
        first["title"].as_str().unwrap().contains("connection pool"),
        "{j}"
    );
    assert!(first["answers"].is_number() && first["accepted"].is_boolean());
    // Without JavaScript, the ask form's "check" button shows them and
    // keeps the draft; nothing is posted.
    let b = w.login("alice").await;
    let before = w.app.search_indexed().await.unwrap();
    let r = w
        .post_form(
            &b,
            "/ask",
            &[
                ("title", "Sharing a connection pool between handlers"),
                ("body", "my draft body"),
                ("tags", "rust"),
                ("check", "similar"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("my draft body"));
    assert!(r.text.contains("/questions/"), "{}", r.text);
    w.app.search_sync().await.unwrap();
    assert_eq!(w.app.search_indexed().await.unwrap(), before);
    assert!(w.get(&b, "/ask").await.text.contains("/static/ask.js"));
    let js = w.get(&b, "/static/ask.js").await;
    assert!(js.text.contains("encodeURIComponent"));
}

#[tokio::test]
async fn feeds_are_well_formed() {
    let w = world().await;
    let b = w.browser().await;
    let r = w.get(&b, "/feeds/questions").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    assert!(well_formed(&r.text) > 10);
    assert!(r.text.contains("<entry>"));
    let r = w.get(&b, "/feeds/questions?format=rss").await;
    assert!(well_formed(&r.text) > 10);
    assert!(r.text.contains("<item>"));
    let r = w.get(&b, &format!("/feeds/tags/{}", q("数据库"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(well_formed(&r.text) > 3);
    let id = w
        .app
        .similar_questions("How do I share a connection pool between axum handlers?")
        .await
        .unwrap()[0]
        .id;
    let r = w.get(&b, &format!("/feeds/questions/{id}")).await;
    assert!(well_formed(&r.text) > 3);
    assert!(r.text.contains("#post-"));
    assert_eq!(
        w.get(&b, "/feeds/questions/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        w.get(&b, "/feeds/tags/nosuchtag").await.status,
        StatusCode::NOT_FOUND
    );
    // Feed discovery on every page.
    assert!(w.get(&b, "/").await.text.contains("application/atom+xml"));
}

#[tokio::test]
async fn tags_directory_synonyms_and_follows() {
    let w = world().await;
    let admin = w.login("admin").await;
    let r = w.get(&admin, "/tags?sort=name").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = w
        .post_form(&admin, "/tags/sqlite/synonyms", &[("synonym", "sqlite3")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    // The synonym's address leads to the tag; searching it finds the tag.
    let r = w.get(&admin, "/tags/sqlite3").await;
    assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(r.location(), "/tags/sqlite");
    let r = w
        .api("GET", &format!("/search?q={}", q("[sqlite3]")), None, None)
        .await;
    assert!(r.json()["results"]["total"].as_u64().unwrap() >= 2);
    // Follow from the tag page; the following tab lists its questions.
    let alice = w.login("alice").await;
    let r = w.post_form(&alice, "/tags/sqlite/follow", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = w.get(&alice, "/tags/sqlite").await;
    assert!(r.text.contains("id=\"unfollow\""));
    let r = w.get(&alice, "/questions/following").await;
    assert!(r.text.contains("database is locked"), "{}", r.text);
    // A newcomer cannot add synonyms: refused, nothing changes.
    let r = w
        .post_form(&alice, "/tags/sqlite/synonyms", &[("synonym", "sqlite-db")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let token = w.token("alice").await;
    let r = w.api("GET", "/tags/sqlite", Some(&token), None).await;
    let j = r.json();
    assert_eq!(j["synonyms"].as_array().unwrap().len(), 1, "{j}");
    assert_eq!(j["following"], true);
    let r = w
        .api("DELETE", "/tags/sqlite/follow", Some(&token), None)
        .await;
    assert_eq!(r.json()["following"], false);
}
