//! Every visible string comes from the catalogue, in both languages.

use crate::*;

fn keys_in(src: &str, marker: &str) -> Vec<String> {
    src.match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = &src[i + marker.len()..];
            let end = rest.find('"')?;
            Some(rest[..end].to_string())
        })
        .filter(|k| !k.ends_with('.') && !k.contains('{'))
        .collect()
}

#[test]
fn every_key_used_by_templates_and_handlers_exists() {
    let sources = [
        include_str!("../../templates/base.html"),
        include_str!("../../templates/list.html"),
        include_str!("../../templates/question.html"),
        include_str!("../../templates/post.html"),
        include_str!("../../templates/ask.html"),
        include_str!("../../templates/history.html"),
        include_str!("../../templates/profile.html"),
        include_str!("../../templates/tags.html"),
        include_str!("../../templates/auth.html"),
        include_str!("../../templates/admin.html"),
        include_str!("../../templates/error.html"),
        include_str!("../../templates/review_center.html"),
        include_str!("../../templates/review_queue.html"),
        include_str!("../../templates/review_item.html"),
        include_str!("../../templates/flags.html"),
        include_str!("../../templates/audit.html"),
        include_str!("../../templates/inbox.html"),
        include_str!("../../templates/profile_edit.html"),
        include_str!("../../templates/badges.html"),
        include_str!("../../templates/search.html"),
        include_str!("../../templates/search_help.html"),
        include_str!("../../templates/users.html"),
        include_str!("../../templates/directory_head.html"),
        include_str!("../../templates/directory_pager.html"),
        include_str!("../../src/api.rs"),
        include_str!("../../src/review_api.rs"),
        include_str!("../../src/search_api.rs"),
        include_str!("../../src/pages.rs"),
        include_str!("../../src/views.rs"),
        include_str!("../../src/review.rs"),
        include_str!("../../src/search.rs"),
    ];
    let mut missing = Vec::new();
    let mut n = 0;
    for src in sources {
        for marker in [".t(\"", ".tf(\"", ".tf1(\""] {
            for k in keys_in(src, marker) {
                n += 1;
                if !guildhall_i18n::has_key(&k) {
                    missing.push(k);
                }
            }
        }
    }
    assert!(n > 150, "found only {n} keys: the scan is broken");
    assert!(
        missing.is_empty(),
        "keys missing from the catalogue: {missing:?}"
    );
    // Keys built at run time: every privilege, reason, error code, role.
    for p in guildhall_domain::Privilege::ALL {
        assert!(guildhall_i18n::has_key(&format!("privilege.{}", p.key())));
    }
    use guildhall_domain::review::{FlagKind, Queue, CLOSE_REASONS, REJECT_REASONS};
    for q in Queue::ALL {
        for prefix in ["queue", "review.approve", "review.reject"] {
            assert!(
                guildhall_i18n::has_key(&format!("{prefix}.{}", q.key())),
                "{prefix}.{}",
                q.key()
            );
        }
    }
    for r in CLOSE_REASONS.iter().chain(REJECT_REASONS.iter()) {
        assert!(
            guildhall_i18n::has_key(&format!("review.reason.{r}")),
            "review.reason.{r}"
        );
    }
    // Search: sort tabs, notices, help rows.
    for k in ["relevance", "newest", "votes"] {
        assert!(guildhall_i18n::has_key(&format!("search.sort.{k}")));
    }
    for k in ["popular", "name", "new"] {
        assert!(guildhall_i18n::has_key(&format!("tags.sort.{k}")));
    }
    for k in [
        "bad_value",
        "too_many_tags",
        "too_many_terms",
        "unbalanced_quote",
        "unknown_tag",
        "unknown_user",
        "me_needs_login",
        "any_words",
    ] {
        assert!(
            guildhall_i18n::has_key(&format!("search.notice.{k}")),
            "{k}"
        );
    }
    for (_, key, _) in guildhall_web::search::HELP_ROWS {
        assert!(guildhall_i18n::has_key(key), "{key}");
    }
    for f in FlagKind::ALL {
        assert!(guildhall_i18n::has_key(&format!("flag.{}", f.key())));
    }
    for c in guildhall_domain::moderation::Capability::ALL {
        assert!(guildhall_i18n::has_key(&format!("capability.{}", c.key())));
    }
    for n in 0..=4 {
        assert!(guildhall_i18n::has_key(&format!("post.status.{n}")));
    }
    for k in [
        "post_approved",
        "post_changes_requested",
        "post_rejected",
        "edit_approved",
        "edit_rejected",
        "post_edited",
        "post_closed",
        "post_reopened",
        "post_deleted",
        "post_hidden",
        "suspended",
        "badge_awarded",
    ] {
        assert!(
            guildhall_i18n::has_key(&format!("notification.{k}")),
            "notification.{k}"
        );
    }
    for code in [
        "already_reviewed",
        "item_decided",
        "review_limit",
        "already_flagged",
        "not_eligible",
        "closed",
        "locked",
        "suspended",
        "capability_blocked",
    ] {
        assert!(
            guildhall_i18n::has_key(&format!("error.{code}")),
            "error.{code}"
        );
    }
    for r in guildhall_domain::reputation::Reason::ALL {
        assert!(guildhall_i18n::has_key(&format!("reason.{}", r.key())));
    }
    for f in [
        "title",
        "body",
        "tags",
        "comment",
        "username",
        "email",
        "password",
        "form",
        "value",
        "role",
        "id",
        "preset",
        "threshold",
        "amount",
    ] {
        assert!(guildhall_i18n::has_key(&format!("field.{f}")), "field.{f}");
    }
    // Every field a validation error names, anywhere in the workspace (a
    // missing one showed "??" in release builds and panicked in debug).
    let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut fields = 0;
    for krate in std::fs::read_dir(&crates).unwrap() {
        let src = krate.unwrap().path().join("src");
        let mut dirs = vec![src];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries {
                let path = e.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for f in keys_in(&text, "validation(\"") {
                        fields += 1;
                        let key = format!("field.{f}");
                        assert!(guildhall_i18n::has_key(&key), "{key} ({})", path.display());
                    }
                }
            }
        }
    }
    assert!(
        fields > 40,
        "found only {fields} validation fields: the scan is broken"
    );
    for k in guildhall_domain::inbox::ACTIVITY_KINDS {
        assert!(guildhall_i18n::has_key(&format!("notification.{k}")), "{k}");
    }
    for m in guildhall_services::storage::users::MemberSort::ALL {
        assert!(guildhall_i18n::has_key(&format!("users.sort.{}", m.key())));
    }
}

#[test]
fn templates_have_no_bare_english_text() {
    // Text between tags must come from the catalogue: look for words
    // written straight into the markup.
    for (name, src) in [
        ("list.html", include_str!("../../templates/list.html")),
        ("search.html", include_str!("../../templates/search.html")),
        (
            "search_help.html",
            include_str!("../../templates/search_help.html"),
        ),
        ("tags.html", include_str!("../../templates/tags.html")),
        (
            "question.html",
            include_str!("../../templates/question.html"),
        ),
        ("post.html", include_str!("../../templates/post.html")),
        ("profile.html", include_str!("../../templates/profile.html")),
        ("auth.html", include_str!("../../templates/auth.html")),
        ("admin.html", include_str!("../../templates/admin.html")),
        (
            "review_center.html",
            include_str!("../../templates/review_center.html"),
        ),
        (
            "review_queue.html",
            include_str!("../../templates/review_queue.html"),
        ),
        (
            "review_item.html",
            include_str!("../../templates/review_item.html"),
        ),
        ("flags.html", include_str!("../../templates/flags.html")),
        ("audit.html", include_str!("../../templates/audit.html")),
        ("inbox.html", include_str!("../../templates/inbox.html")),
        (
            "profile_edit.html",
            include_str!("../../templates/profile_edit.html"),
        ),
        ("badges.html", include_str!("../../templates/badges.html")),
    ] {
        let mut in_tag = false;
        let mut in_expr = 0;
        let mut text = String::new();
        let chars: Vec<char> = src.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            if c == '{' && (next == '{' || next == '%' || next == '#') {
                in_expr += 1;
                i += 2;
                continue;
            }
            if (c == '}' || c == '%' || c == '#') && next == '}' && in_expr > 0 {
                in_expr -= 1;
                i += 2;
                continue;
            }
            if in_expr == 0 {
                if c == '<' {
                    in_tag = true;
                } else if c == '>' {
                    in_tag = false;
                } else if !in_tag {
                    text.push(c);
                }
            }
            i += 1;
        }
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| w.len() > 2)
            .collect();
        assert!(
            words.is_empty(),
            "{name} has text outside the catalogue: {words:?}"
        );
    }
}

#[tokio::test]
async fn language_from_accept_language_switch_and_query() {
    let w = world().await;
    let req = Request::get("/")
        .header(header::ACCEPT_LANGUAGE, "zh-CN,zh;q=0.9,en;q=0.5")
        .body(Body::empty())
        .unwrap();
    let r = w.send(req).await;
    assert!(r.text.contains("<html lang=\"zh-CN\">") && r.text.contains("全部问题"));
    let req = Request::get("/?lang=en")
        .header(header::ACCEPT_LANGUAGE, "zh-CN")
        .body(Body::empty())
        .unwrap();
    assert!(w.send(req).await.text.contains("All questions"));
    let r = w
        .send(
            Request::get("/lang/zh-CN?next=/tags")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/tags");
    assert!(r
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("gh_lang=zh-CN"));
    let mut b = w.browser().await;
    b.lang = Some("zh-CN".into());
    assert!(w.get(&b, "/tags").await.text.contains("标签"));
    // No open redirect through the switch.
    let r = w
        .send(
            Request::get("/lang/en?next=//evil.example/")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.location(), "/");
    // JSON errors follow the language too.
    let req = Request::get("/api/v1/questions/424242")
        .header(header::ACCEPT_LANGUAGE, "zh")
        .body(Body::empty())
        .unwrap();
    assert_eq!(w.send(req).await.json()["message"], "没有找到该内容。");
}
