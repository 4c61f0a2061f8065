//! Whole journeys through pages and the API.

use crate::*;

#[tokio::test]
async fn api_journey_and_the_pages_agree() {
    let w = world().await;
    let frank = w.token("frank").await;
    let carol = w.token("carol").await;
    let r = w.api("POST", "/questions", Some(&frank), Some(serde_json::json!({"title": "Which runtime should a beginner use?", "body": "I am new to async Rust and confused.", "tags": ["rust", "async"]}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let q = r.json()["id"].as_i64().unwrap();
    let a = w
        .api(
            "POST",
            &format!("/questions/{q}/answers"),
            Some(&carol),
            Some(serde_json::json!({"body": "Start with tokio; it is the most used."})),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = w
        .api(
            "PUT",
            &format!("/posts/{q}/vote"),
            Some(&carol),
            Some(serde_json::json!({"value": "up"})),
        )
        .await;
    assert_eq!(r.json()["score"], 1);
    let r = w
        .api(
            "PUT",
            &format!("/questions/{q}/accept"),
            Some(&frank),
            Some(serde_json::json!({"answer_id": a})),
        )
        .await;
    assert_eq!(r.json()["accepted_answer_id"], a);
    let r = w
        .api(
            "POST",
            &format!("/posts/{a}/comments"),
            Some(&frank),
            Some(serde_json::json!({"body": "Thanks, that helps!"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let page = w
        .api("GET", &format!("/questions/{q}"), None, None)
        .await
        .json();
    assert_eq!(page["question"]["accepted_answer_id"], a);
    assert_eq!(page["answers"][0]["id"], a);
    assert_eq!(page["comments"].as_array().unwrap().len(), 1);
    // Edit, history, rollback.
    let r = w.api("PATCH", &format!("/posts/{q}"), Some(&frank), Some(serde_json::json!({"title": "Which async runtime should a beginner use?", "body": "I am new to async Rust and confused.", "tags": ["rust", "async"], "comment": "clearer title"}))).await;
    assert_eq!(r.json()["result"], "edited");
    assert_eq!(r.json()["rev"], 2);
    let revs = w
        .api("GET", &format!("/posts/{q}/revisions"), None, None)
        .await
        .json();
    assert_eq!(revs.as_array().unwrap().len(), 2);
    let r = w
        .api(
            "POST",
            &format!("/posts/{q}/rollback"),
            Some(&frank),
            Some(serde_json::json!({"rev": 1})),
        )
        .await;
    assert_eq!(r.json()["revision"], 3);
    // The profile page shows the same ledger the API returns.
    let prof = w.api("GET", "/users/frank", None, None).await.json();
    let rows = prof["history"].as_array().unwrap();
    assert_eq!(rows[0]["reason"], "accepted_others_answer");
    assert_eq!(rows[1]["reason"], "question_upvoted");
    let b = w.browser().await;
    let html = w.get(&b, "/users/frank").await.text;
    assert!(html.contains("You accepted an answer") && html.contains("Your question was up-voted"));
    assert!(html.contains(&format!(
        "id=\"reputation\">{}<",
        prof["user"]["reputation"]
    )));
    let hist = w.get(&b, &format!("/posts/{q}/history")).await.text;
    assert!(hist.contains("rolled back to revision 1") && hist.contains("clearer title"));
    // Diff lines are blocks: no newline between them, or each is followed
    // by an empty line.
    assert!(hist.contains("<pre class=\"diff\"><span class="));
    assert!(!hist.contains("</span>\n<span"), "{hist}");
    // Delete an answer through a page: -5 for its author, then gone from the page.
    let cb = w.login("carol").await;
    let before = w
        .app
        .store
        .ledger_sum(
            w.app
                .store
                .user_by_username("carol")
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    let r = w.post_form(&cb, &format!("/posts/{a}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = w
        .app
        .store
        .ledger_sum(
            w.app
                .store
                .user_by_username("carol")
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    assert_eq!(after, before - 5);
    let page = w
        .api("GET", &format!("/questions/{q}"), None, None)
        .await
        .json();
    assert!(page["answers"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn page_journey_with_forms_and_redirects() {
    let w = world().await;
    let b = w.login("alice").await;
    let r = w
        .post_form(
            &b,
            "/ask",
            &[
                ("title", "A question asked through the form"),
                ("body", "With a **Markdown** body that is long."),
                ("tags", "rust tokio"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let url = r.location().to_string();
    let q: i64 = url.trim_start_matches("/questions/").parse().unwrap();
    let carol = w.login("carol").await;
    let r = w
        .post_form(
            &carol,
            &format!("/questions/{q}/answers"),
            &[("body", "An answer posted from the question page.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = w
        .post_form(&carol, &format!("/posts/{q}/vote"), &[("value", "up")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = w.get(&carol, &url).await.text;
    assert!(page.contains("vote up on"), "the page shows carol's vote");
    assert!(page.contains("<strong>Markdown</strong>"));
    // Too-short answer: the error is on the page and the draft is kept.
    let r = w
        .post_form(
            &carol,
            &format!("/questions/{q}/answers"),
            &[("body", "too short")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("at least 20") && r.text.contains(">too short</textarea>"));
    // Lists and tags.
    let home = w.get(&b, "/?sort=newest").await.text;
    assert!(home.contains("A question asked through the form"));
    assert!(w
        .get(&b, "/tags/tokio")
        .await
        .text
        .contains("A question asked through the form"));
    assert_eq!(
        w.get(&b, "/?sort=bogus&page=-4").await.status,
        StatusCode::OK
    );
    // Logout ends the session.
    let r = w.post_form(&b, "/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(w.get(&b, "/").await.text.contains("href=\"/login\""));
}

#[tokio::test]
async fn admin_settings_page_changes_rules() {
    let w = world().await;
    let admin = w.login("admin").await;
    let page = w.get(&admin, "/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("name=\"threshold.upvote\" value=\"15\""));
    let r = w
        .post_form(
            &admin,
            "/admin/settings",
            &[
                ("preset", "segmentfault"),
                ("threshold.upvote", "10"),
                ("amount.answer_upvoted", "8"),
            ],
        )
        .await;
    assert!(r.text.contains("Settings saved"), "{}", r.text);
    let s = w.app.settings();
    assert_eq!(
        s.privileges.threshold(guildhall_domain::Privilege::Upvote),
        10
    );
    assert_eq!(s.reputation.answer_upvoted, 8);
    let r = w
        .post_form(&admin, "/admin/settings", &[("preset", "stack_overflow")])
        .await;
    assert!(r.text.contains("Settings saved"));
    assert_eq!(
        w.app
            .settings()
            .privileges
            .threshold(guildhall_domain::Privilege::EditOthers),
        2000
    );
    let r = w
        .post_form(&admin, "/admin/settings", &[("threshold.upvote", "lots")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Search weights too, fractions included, shown as they are.
    let page = w.get(&admin, "/admin").await.text;
    assert!(
        page.contains("name=\"search.title_boost\" value=\"3\""),
        "{page}"
    );
    assert!(page.contains("name=\"search.vote_weight\" value=\"0.25\""));
    let r = w
        .post_form(
            &admin,
            "/admin/settings",
            &[("search.title_boost", "2.5"), ("search.page_size", "10")],
        )
        .await;
    assert!(r.text.contains("Settings saved"), "{}", r.text);
    let s = w.app.settings();
    assert_eq!((s.search.title_boost, s.search.page_size), (2.5, 10));
    assert!(r.text.contains("name=\"search.title_boost\" value=\"2.5\""));
    // Members are not administrators.
    let alice = w.login("alice").await;
    assert_eq!(w.get(&alice, "/admin").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        w.post_form(&alice, "/admin/settings", &[("preset", "apache_answer")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = w.post_form(&admin, "/admin/recompute", &[]).await;
    assert!(r.text.contains("agree with the ledgers"), "{}", r.text);
}

#[tokio::test]
async fn every_api_route_is_in_the_openapi_document() {
    let w = world().await;
    let doc = w.api("GET", "/openapi.json", None, None).await.json();
    let src = [
        include_str!("../../src/api.rs"),
        include_str!("../../src/review_api.rs"),
        include_str!("../../src/search_api.rs"),
        include_str!("../../src/analytics_api.rs"),
    ]
    .concat();
    let mut routes = 0;
    for (i, _) in src.match_indices(".route(\"") {
        let rest = &src[i + 8..];
        let path = &rest[..rest.find('"').unwrap()];
        routes += 1;
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
    assert!(routes >= 30);
    let r = w
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::OK, "ok"));
    // Every page names its icon, so browsers do not ask for a missing one.
    let home = w.get(&w.browser().await, "/").await.text;
    assert!(home.contains("rel=\"icon\" type=\"image/svg+xml\" href=\"/favicon.svg\""));
    let r = w
        .send(Request::get("/favicon.svg").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert!(r.text.starts_with("<svg"));
    let r = w
        .send(Request::get("/favicon.ico").body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn a_login_returns_to_the_page_that_asked_for_it() {
    let w = world().await;
    let anon = w.browser().await;
    // Pages that need a member send the browser to the login form.
    for (page, next) in [
        ("/review", "%2Freview"),
        ("/ask", "%2Fask"),
        ("/notifications?page=2", "%2Fnotifications%3Fpage%3D2"),
    ] {
        let r = w.get(&anon, page).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(r.location(), format!("/login?next={next}"));
    }
    // The API keeps its 401.
    assert_eq!(
        w.api("GET", "/me", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The header's link names the page; the form carries it.
    let page = w.get(&anon, "/questions?sort=votes").await.text;
    assert!(page.contains("href=\"/login?next=%2Fquestions%3Fsort%3Dvotes\""));
    let form = w.get(&anon, "/login?next=%2Freview").await.text;
    assert!(form.contains("name=\"next\" value=\"/review\""), "{form}");
    // A failed login keeps it; a successful one follows it.
    let r = w
        .post_form(
            &anon,
            "/login",
            &[
                ("login", "alice"),
                ("password", "wrong"),
                ("next", "/review"),
            ],
        )
        .await;
    assert!(r.text.contains("name=\"next\" value=\"/review\""));
    let login = |next: &'static str| {
        let (w, anon) = (&w, &anon);
        async move {
            let r = w
                .post_form(
                    anon,
                    "/login",
                    &[
                        ("login", "alice"),
                        ("password", guildhall_services::demo::DEMO_PASSWORD),
                        ("next", next),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}");
            r.location().to_string()
        }
    };
    assert_eq!(login("/review").await, "/review");
    // Never to another site.
    for evil in [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/a\r\nb",
    ] {
        assert_eq!(login(evil).await, "/", "{evil:?}");
        let form = w.get(&anon, &format!("/login?next={}", q(evil))).await.text;
        assert!(!form.contains("name=\"next\""), "{evil:?}");
        let r = w.get(&anon, &format!("/lang/zh?next={}", q(evil))).await;
        assert_eq!(r.location(), "/", "{evil:?}");
    }
}

#[tokio::test]
async fn bookmarks_from_the_question_page_and_the_api() {
    let w = world().await;
    let q = w.question_by("bob", "connection pool").await;
    let alice = w.login("alice").await;
    let page = w.get(&alice, &format!("/questions/{q}")).await.text;
    assert!(page.contains(&format!("action=\"/questions/{q}/bookmark\"")));
    assert!(page.contains("class=\"qmeta muted\">Asked 20") && page.contains(" times</p>"));
    assert!(page.contains("aria-pressed=\"false\""));
    let r = w
        .post_form(&alice, &format!("/questions/{q}/bookmark"), &[("on", "1")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), format!("/questions/{q}"));
    let page = w.get(&alice, &format!("/questions/{q}")).await.text;
    assert!(page.contains("aria-pressed=\"true\"") && page.contains("Bookmarked by 1"));
    // The member's own lists are tabs of the site-wide list, not of a tag's.
    assert!(w
        .get(&alice, "/")
        .await
        .text
        .contains("href=\"/questions/bookmarks\""));
    assert!(!w
        .get(&alice, "/tags/rust")
        .await
        .text
        .contains("href=\"/questions/bookmarks\""));
    let list = w.get(&alice, "/questions/bookmarks").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("Your bookmarks") && list.text.contains("connection pool"));
    // Anonymous readers get links to log in (and come back) instead of
    // forms that would only answer "log in first".
    let anon = w
        .get(&w.browser().await, &format!("/questions/{q}"))
        .await
        .text;
    let back = format!("href=\"/login?next=%2Fquestions%2F{q}\"");
    assert!(!anon.contains("/vote\""), "no vote forms");
    for class in ["vote up", "vote down"] {
        assert!(
            anon.contains(&format!("class=\"{class}\" {back}")),
            "{class}"
        );
    }
    assert!(anon.contains(&format!("<a {back}>Log in to answer")));
    // So does a tag's follow button.
    let tag = w.get(&w.browser().await, "/tags/rust").await.text;
    assert!(
        tag.contains("class=\"button small\" href=\"/login?next=%2Ftags%2Frust\""),
        "{tag}"
    );
    assert!(anon.contains(&format!(
        "class=\"vote bookmark\" href=\"/login?next=%2Fquestions%2F{q}\""
    )));
    // The API: the same list, then removal, idempotent.
    let token = w.token("alice").await;
    let mine = w
        .api("GET", "/me/bookmarks", Some(&token), None)
        .await
        .json();
    assert_eq!(mine["questions"][0]["id"], q);
    for _ in 0..2 {
        let r = w
            .api(
                "DELETE",
                &format!("/questions/{q}/bookmark"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(r.json()["bookmarked"], false, "{}", r.text);
    }
    let mine = w
        .api("GET", "/me/bookmarks", Some(&token), None)
        .await
        .json();
    assert_eq!(mine["questions"].as_array().unwrap().len(), 0);
    let r = w
        .api("PUT", "/questions/nope/bookmark", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        w.api("GET", "/me/bookmarks", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn help_texts_state_the_limits_in_force() {
    let w = world().await;
    let mut s = (*w.app.settings()).clone();
    s.limits.tags_max = 3;
    s.search.max_tags = 2;
    w.app.store.save_settings(&s, None).await.unwrap();
    w.app.reload_settings().await.unwrap();
    s.limits.title_max = 120;
    s.limits.comment_max = 400;
    w.app.store.save_settings(&s, None).await.unwrap();
    w.app.reload_settings().await.unwrap();
    let alice = w.login("alice").await;
    let ask = w.get(&alice, "/ask").await.text;
    assert!(ask.contains("1 to 3 tags") && ask.contains("maxlength=\"120\""));
    let q = w
        .question_by("alice", "A question whose comment box has limits")
        .await;
    let page = w.get(&alice, &format!("/questions/{q}")).await.text;
    assert!(page.contains("minlength=\"5\" maxlength=\"400\""));
    let help = w.get(&alice, "/search/help").await.text;
    assert!(help.contains("(up to 2;"), "{help}");
    let anon = w.browser().await;
    assert!(w
        .get(&anon, "/register")
        .await
        .text
        .contains("At least 8 characters."));
}

#[tokio::test]
async fn the_member_directory_page_and_api() {
    let w = world().await;
    let anon = w.browser().await;
    let page = w.get(&anon, "/users?sort=name&filter=a").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("href=\"/users/alice\"") && page.text.contains("href=\"/users/admin\"")
    );
    assert!(
        !page.text.contains("href=\"/users/bob\""),
        "filtered by name"
    );
    assert!(
        w.get(&anon, "/").await.text.contains("href=\"/users\""),
        "in the header"
    );
    let api = w.api("GET", "/users?sort=reputation", None, None).await;
    assert_eq!(api.status, StatusCode::OK);
    let members = api.json()["members"].as_array().unwrap().clone();
    assert!(members.len() >= 5);
    let reps: Vec<i64> = members
        .iter()
        .map(|m| m["reputation"].as_i64().unwrap())
        .collect();
    assert!(reps.windows(2).all(|p| p[0] >= p[1]), "{reps:?}");
    assert!(
        !api.text.contains("email") && !api.text.contains("@"),
        "{}",
        api.text
    );
}

#[tokio::test]
async fn a_member_changes_the_password_on_the_settings_page() {
    let w = world().await;
    let mut alice = w.login("alice").await;
    let other = w.login("alice").await;
    let page = w.get(&alice, "/settings/profile").await.text;
    assert!(page.contains("action=\"/settings/password\""));
    let r = w
        .post_form(
            &alice,
            "/settings/password",
            &[
                ("current_password", "wrong"),
                ("new_password", "brand-new-pass"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text.contains("The current password is not right."),
        "{}",
        r.text
    );
    let r = w
        .post_form(
            &alice,
            "/settings/password",
            &[
                ("current_password", guildhall_services::demo::DEMO_PASSWORD),
                ("new_password", "brand-new-pass"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), "/settings/profile?password=1");
    // This browser carries on with its new session; the other is logged out.
    alice.session = r.session_cookie();
    let page = w.get(&alice, "/settings/profile?password=1").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Password changed."));
    assert_eq!(
        w.get(&other, "/settings/profile").await.status,
        StatusCode::SEE_OTHER
    );
    // Through the API, with the new password.
    let r = w
        .api(
            "POST",
            "/session",
            None,
            Some(serde_json::json!({"login": "alice", "password": "brand-new-pass"})),
        )
        .await;
    let token = r.json()["token"].as_str().unwrap().to_string();
    let r = w
        .api(
            "PUT",
            "/me/password",
            Some(&token),
            Some(serde_json::json!({"current_password": "brand-new-pass", "new_password": "third-password"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let fresh = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(
        w.api("GET", "/me", Some(&token), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        w.api("GET", "/me", Some(&fresh), None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn error_pages_keep_the_member_s_header() {
    let w = world().await;
    let alice = w.login("alice").await;
    let r = w.get(&alice, "/questions/999999").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.text.contains("class=\"me\" href=\"/users/alice\""),
        "{}",
        r.text
    );
    let r = w.get(&alice, "/admin").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains("class=\"me\" href=\"/users/alice\""));
}

#[tokio::test]
async fn a_comment_is_removed_from_the_page_by_its_author() {
    let w = world().await;
    let q = w.question_by("alice", "A question bob comments on").await;
    let bob_user = w.app.store.user_by_username("bob").await.unwrap().unwrap();
    w.app
        .comment(&bob_user, q, "A comment bob will take back.")
        .await
        .unwrap();
    let page = w.app.question(q, None).await.unwrap();
    let cm = page.comments[0].clone();
    let action = format!("action=\"/comments/{}/delete\"", cm.id);
    let alice = w.login("alice").await;
    assert!(!w
        .get(&alice, &format!("/questions/{q}"))
        .await
        .text
        .contains(&action));
    let r = w
        .post_form(&alice, &format!("/comments/{}/delete", cm.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let bob = w.login("bob").await;
    assert!(w
        .get(&bob, &format!("/questions/{q}"))
        .await
        .text
        .contains(&action));
    let r = w
        .post_form(&bob, &format!("/comments/{}/delete", cm.id), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location(), format!("/questions/{q}#post-{}", cm.post_id));
    assert!(!w
        .get(&bob, &format!("/questions/{q}"))
        .await
        .text
        .contains(&action));
    // The API says the same, idempotently.
    let token = w.token("bob").await;
    let r = w
        .api(
            "DELETE",
            &format!("/comments/{}", cm.id),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.json()["deleted"], true, "{}", r.text);
    let r = w.api("DELETE", "/comments/nope", Some(&token), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_demo_has_github_activity_to_show() {
    let w = world().await;
    let anon = w.browser().await;
    let page = w.get(&anon, "/analytics").await.text;
    assert!(
        page.contains("href=\"/analytics/repos/guildhall%2Ddemo/guildhall\""),
        "{page}"
    );
    // The demo's star ring is caught.
    let ring = w
        .get(&anon, "/analytics/repos/guildhall-demo/awesome-devrel")
        .await
        .text;
    assert!(ring.contains("star-beef-0"), "{ring}");
}

#[tokio::test]
async fn counts_read_as_english() {
    let w = world().await;
    let anon = w.browser().await;
    let home = w.get(&anon, "/?sort=newest").await.text;
    assert!(home.contains("<b>1</b> answer</span>"), "{home}");
    assert!(home.contains("<b>2</b> answers</span>") && home.contains("<b>1</b> vote</span>"));
    w.question_by("alice", "A question about zygomorphic flowers")
        .await;
    let found = w.get(&anon, "/search?q=zygomorphic").await.text;
    assert!(found.contains(">1 result<"), "{found}");
}
