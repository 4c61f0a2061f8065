//! Bad input: a clear error (page or JSON with a stable code) and no change.

use crate::*;

#[tokio::test]
async fn stale_or_missing_csrf_is_refused_and_changes_nothing() {
    let w = world().await;
    let b = w.login("alice").await;
    let before = w
        .app
        .questions(
            guildhall_storage::content::QuestionSort::Newest,
            None,
            1,
            100,
        )
        .await
        .unwrap()
        .questions
        .len();
    let fields = encode(&[
        ("csrf", "00000000000000000000000000000000"),
        ("title", "A question with a stale token"),
        ("body", "Body long enough to be valid here."),
        ("tags", "rust"),
    ]);
    let r = w.post_raw(&b, "/ask", &fields).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("This form has expired"), "{}", r.text);
    let r = w
        .post_raw(
            &b,
            "/ask",
            &encode(&[
                ("title", "No token at all here"),
                ("body", "Body long enough to be valid."),
                ("tags", "rust"),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let after = w
        .app
        .questions(
            guildhall_storage::content::QuestionSort::Newest,
            None,
            1,
            100,
        )
        .await
        .unwrap()
        .questions
        .len();
    assert_eq!(before, after);
    // Cookie-authenticated API writes need the X-CSRF-Token header.
    let req = Request::put("/api/v1/posts/1/vote")
        .header(
            header::COOKIE,
            format!(
                "gh_csrf={}; gh_session={}",
                b.csrf,
                b.session.clone().unwrap()
            ),
        )
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"value":"up"}"#))
        .unwrap();
    let r = w.send(req).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"], "csrf_invalid");
}

#[tokio::test]
async fn invalid_questions_keep_the_draft_and_say_why() {
    let w = world().await;
    let b = w.login("alice").await;
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "",
            "Body long enough to be valid.".into(),
            "rust",
            "Title is required",
        ),
        (
            "Short",
            "Body long enough to be valid.".into(),
            "rust",
            "at least 10",
        ),
        (
            "A title that is fine",
            "".into(),
            "rust",
            "Body is required",
        ),
        (
            "A title that is fine",
            "x".repeat(30_001),
            "rust",
            "at most 30000",
        ),
        (
            "A title that is fine",
            "Body long enough to be valid.".into(),
            "",
            "at least 1 tag",
        ),
        (
            "A title that is fine",
            "Body long enough to be valid.".into(),
            "a b c d e f",
            "at most 5 tags",
        ),
        (
            "A title that is fine",
            "Body long enough to be valid.".into(),
            "<script>",
            "Tags use letters",
        ),
    ];
    for (title, body, tags, msg) in cases {
        let r = w
            .post_form(
                &b,
                "/ask",
                &[("title", title), ("body", &body), ("tags", tags)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{title:?}");
        assert!(r.text.contains(msg), "expected {msg:?} for {title:?}");
        if body.len() < 100 && !body.is_empty() {
            assert!(r.text.contains(&body), "the draft body is kept");
        }
    }
    // The same through the API: a JSON error with field and rule.
    let t = w.token("alice").await;
    let r = w
        .api(
            "POST",
            "/questions",
            Some(&t),
            Some(
                serde_json::json!({"title": "", "body": "long enough body here", "tags": ["rust"]}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let j = r.json();
    assert_eq!(
        (j["error"].as_str(), j["field"].as_str(), j["rule"].as_str()),
        (Some("validation"), Some("title"), Some("required"))
    );
}

#[tokio::test]
async fn oversized_and_malformed_bodies() {
    let w = world().await;
    let b = w.login("alice").await;
    let huge = "x".repeat(guildhall_web::MAX_BODY_BYTES + 10);
    let r = w
        .post_form(
            &b,
            "/ask",
            &[("title", "Oversized"), ("body", &huge), ("tags", "rust")],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text.contains("too large"), "{}", r.text);
    let t = w.token("alice").await;
    let req = Request::post("/api/v1/questions")
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"title\": \"unterminated"))
        .unwrap();
    let r = w.send(req).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "validation");
    let r = w
        .api(
            "PUT",
            "/posts/1/vote",
            Some(&t),
            Some(serde_json::json!({"value": "sideways"})),
        )
        .await;
    assert_eq!(r.json()["error"], "validation");
    // Broken percent-encoding in a form is read leniently, never a crash.
    let r = w
        .post_raw(
            &b,
            "/ask",
            &format!("csrf={}&title=%E4%ZZbad&body=%&tags=rust", b.csrf),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Malformed numbers in an API query are JSON validation errors that
    // name the field, not the framework's plain-text rejection.
    for (path, field) in [
        ("/questions?page=abc", "page"),
        ("/questions?per_page=zz", "per_page"),
        ("/me/bookmarks?page=1e9x", "page"),
    ] {
        let r = w.api("GET", path, Some(&t), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            (r.json()["error"].as_str(), r.json()["field"].as_str()),
            (Some("validation"), Some(field)),
            "{path}: {}",
            r.text
        );
    }
    // Pages read an unreadable page number as the first page.
    assert_eq!(
        w.get(&b, "/moderation/audit?page=x").await.status,
        StatusCode::FORBIDDEN
    );
    let admin = w.login("admin").await;
    assert_eq!(
        w.get(&admin, "/moderation/audit?page=x").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn votes_and_accepts_that_are_not_allowed() {
    let w = world().await;
    let alice = w.token("alice").await;
    let frank = w.token("frank").await;
    let own = w.question_by("alice", "Alice asks her own question").await;
    let r = w
        .api(
            "PUT",
            &format!("/posts/{own}/vote"),
            Some(&alice),
            Some(serde_json::json!({"value": "up"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("own_post"))
    );
    // Frank has 11 reputation: up-votes need 15; the error says which and how much.
    let r = w
        .api(
            "PUT",
            &format!("/posts/{own}/vote"),
            Some(&frank),
            Some(serde_json::json!({"value": "up"})),
        )
        .await;
    let j = r.json();
    assert_eq!(
        (
            j["error"].as_str(),
            j["privilege"].as_str(),
            j["required"].as_i64(),
            j["have"].as_i64()
        ),
        (
            Some("privilege_missing"),
            Some("upvote"),
            Some(15),
            Some(11)
        )
    );
    assert!(j["message"].as_str().unwrap().contains("15"));
    // Accepting on someone else's question.
    let carol = w.token("carol").await;
    let a = w
        .api(
            "POST",
            &format!("/questions/{own}/answers"),
            Some(&carol),
            Some(serde_json::json!({"body": "An answer long enough to count."})),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = w
        .api(
            "PUT",
            &format!("/questions/{own}/accept"),
            Some(&carol),
            Some(serde_json::json!({"answer_id": a})),
        )
        .await;
    assert_eq!(r.json()["error"], "not_question_owner");
    // Editing someone else's post without the privilege (frank: 11 < 200).
    let r = w.api("PATCH", &format!("/posts/{own}"), Some(&frank), Some(serde_json::json!({"title": "Frank rewrites the title", "body": "Frank's new body text here.", "tags": ["rust"]}))).await;
    let j = r.json();
    assert_eq!(
        (j["error"].as_str(), j["required"].as_i64()),
        (Some("privilege_missing"), Some(200))
    );
    // Unknown ids, and no login.
    let r = w
        .api(
            "PUT",
            "/posts/987654/vote",
            Some(&alice),
            Some(serde_json::json!({"value": "up"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let r = w
        .api(
            "PUT",
            "/posts/abc/vote",
            Some(&alice),
            Some(serde_json::json!({"value": "up"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = w
        .api(
            "PUT",
            &format!("/posts/{own}/vote"),
            None,
            Some(serde_json::json!({"value": "up"})),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let b = w.browser().await;
    let r = w.get(&b, "/questions/987654").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text.contains("We could not find that"));
    // Nothing moved.
    let p = w.app.post(own).await.unwrap();
    assert_eq!(
        (p.score, p.accepted_answer_id, p.title.as_str()),
        (0, None, "Alice asks her own question")
    );
    let report = w.app.recompute(false).await.unwrap();
    assert!(report.differences.is_empty());
}

#[tokio::test]
async fn the_same_vote_sent_at_once_counts_once() {
    let w = world().await;
    let q = w
        .question_by("frank", "A question voted on twice at once")
        .await;
    let t = w.token("alice").await;
    let before = w
        .app
        .store
        .user_by_username("frank")
        .await
        .unwrap()
        .unwrap()
        .reputation;
    let reqs: Vec<_> = (0..8)
        .map(|_| {
            let (router, t) = (w.router.clone(), t.clone());
            tokio::spawn(async move {
                let req = Request::put(format!("/api/v1/posts/{q}/vote"))
                    .header(header::AUTHORIZATION, format!("Bearer {t}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(r#"{"value":"up"}"#))
                    .unwrap();
                router.oneshot(req).await.unwrap().status()
            })
        })
        .collect();
    for r in reqs {
        assert_eq!(r.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(w.app.post(q).await.unwrap().score, 1);
    assert_eq!(
        w.app
            .store
            .user_by_username("frank")
            .await
            .unwrap()
            .unwrap()
            .reputation,
        before + 10
    );
}

#[tokio::test]
async fn hostile_markdown_is_neutralized_on_the_page() {
    let w = world().await;
    let b = w.login("alice").await;
    let body = "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[x](javascript:alert(3)) **ok**";
    let r = w
        .post_form(
            &b,
            "/ask",
            &[
                ("title", "Hostile markdown in a body"),
                ("body", body),
                ("tags", "rust"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = w.get(&b, r.location()).await.text;
    assert!(!page.contains("<script>alert"), "script survived");
    assert!(!page.contains("onerror"), "handler survived");
    assert!(
        !page.to_lowercase().contains("href=\"javascript"),
        "javascript: link survived"
    );
    assert!(
        page.contains(">x</a>"),
        "the link text stays, without its href"
    );
    assert!(page.contains("<strong>ok</strong>"));
}

/// Every route of the OpenAPI document, with ids that are not numbers or
/// too large, malformed query numbers and bodies of the wrong shape: each
/// answer is a success or a JSON error, never a 5xx, a panic or plain text.
#[tokio::test]
async fn every_api_route_answers_bad_input_with_a_json_error() {
    let w = world().await;
    let admin = w.token("admin").await;
    let member = w.token("alice").await;
    let doc: serde_json::Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
    let bodies = [
        serde_json::json!({"x": [1, {"y": null}], "value": "sideways", "title": 5, "decision": 7, "answer_id": "z"}),
        serde_json::json!([]),
    ];
    let mut sent = 0;
    for token in [&admin, &member] {
        for (path, ops) in doc["paths"].as_object().unwrap() {
            // Ending sessions or changing settings would change the run.
            if matches!(
                path.as_str(),
                "/session" | "/me/password" | "/admin/settings"
            ) {
                continue;
            }
            for method in ops.as_object().unwrap().keys() {
                for id in ["abc", "-1", "99999999999999999999999", "1"] {
                    let mut p = path.clone();
                    for k in [
                        "{id}",
                        "{name}",
                        "{key}",
                        "{queue}",
                        "{owner}",
                        "{login}",
                        "{synonym}",
                    ] {
                        p = p.replace(k, id);
                    }
                    let p = format!("{p}?page=x&per_page=y&month=zz&period=q&sort=%FF&q=%FF");
                    let with_body = matches!(method.as_str(), "put" | "post" | "patch");
                    for body in bodies.iter().take(if with_body { 2 } else { 1 }) {
                        let body = with_body.then(|| body.clone());
                        let r = w.api(&method.to_uppercase(), &p, Some(token), body).await;
                        sent += 1;
                        assert!(
                            r.status.as_u16() < 500,
                            "{method} {p}: {} {}",
                            r.status,
                            r.text
                        );
                        if r.status.as_u16() >= 400 {
                            let j: serde_json::Value = serde_json::from_str(&r.text)
                                .unwrap_or_else(|_| panic!("{method} {p}: not JSON: {}", r.text));
                            assert!(j["error"].is_string(), "{method} {p}: {}", r.text);
                        }
                    }
                }
            }
        }
    }
    assert!(sent > 300, "{sent}");
}
