//! Stack Exchange import and export, on a real dump and on broken ones.

use crate::harness;
use crate::on_both;
use guildhall_services::stackexchange::{self, ImportOptions, ImportReport, OnError};
use guildhall_services::App;
use guildhall_stackexchange::{DumpReader, Row};
use guildhall_storage::import::Counters;
use guildhall_storage::Backend;
use std::path::{Path, PathBuf};

fn conlang() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/stackexchange/conlang.meta")
}

fn rows(dir: &Path, file: &str) -> Vec<Row> {
    let mut r = DumpReader::open(&dir.join(file)).unwrap();
    let mut out = vec![];
    while let Some(x) = r.next_row() {
        out.push(x.unwrap());
    }
    out
}

async fn fresh(like: &App) -> App {
    match like.store.backend {
        Backend::Sqlite => harness::sqlite(Default::default()).await,
        Backend::Postgres => harness::postgres(Default::default()).await.unwrap(),
    }
}

async fn run(app: &App, dir: &Path, opts: ImportOptions) -> ImportReport {
    stackexchange::import(&app.store, &app.settings(), dir, opts, &|_| {})
        .await
        .unwrap()
}

/// Every cached counter equals what `recompute` derives from the rows.
async fn counters_agree(app: &App) {
    let check = app
        .store
        .recompute(&app.settings().reputation, false)
        .await
        .unwrap();
    let shown = &check.differences[..check.differences.len().min(5)];
    assert!(check.differences.is_empty(), "{shown:?}");
}

async fn count(app: &App, sql: &str) -> i64 {
    app.store.count_for_test(sql).await.unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = harness::scratch(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Tables whose plain indexes a bulk import sets aside.
const TABLES: &[&str] = &["posts", "post_tags", "comments", "revisions", "import_map"];

on_both!(real_dump_imports_faithfully, |app: App| async move {
    let dir = conlang();
    let indexes = app.store.index_names(TABLES).await.unwrap();
    assert!(indexes.len() >= 9, "{indexes:?}");
    // As a bulk load (what a large dump into an empty community is), the
    // indexes are built at the end, and the same ones are there afterwards.
    let opts = ImportOptions {
        bulk: Some(true),
        ..ImportOptions::for_dir(&dir)
    };
    let report = run(&app, &dir, opts).await;
    assert!(report.indexes_rebuilt > indexes.len(), "{report:?}");
    assert_eq!(app.store.index_names(TABLES).await.unwrap(), indexes);
    assert!(report.steps.iter().any(|s| s.step == "indexes"));
    assert!(report
        .steps
        .iter()
        .any(|s| s.step == "Posts.xml#answers" && s.rows > 0));
    let posts = rows(&dir, "Posts.xml");
    let kind = |k: &str| {
        posts
            .iter()
            .filter(|r| r.get("PostTypeId") == Some(k))
            .count() as u64
    };
    let i = &report.imported;
    assert_eq!(i.users, rows(&dir, "Users.xml").len() as u64);
    assert_eq!(i.questions, kind("1"));
    assert_eq!(i.answers, kind("2"));
    assert_eq!(i.tag_wikis, kind("4") + kind("5"));
    assert_eq!(i.tags, rows(&dir, "Tags.xml").len() as u64);
    assert_eq!(i.badges, rows(&dir, "Badges.xml").len() as u64);
    assert_eq!(i.comments, rows(&dir, "Comments.xml").len() as u64);
    // Votes and history rows about deleted posts (not in the dump) are
    // skipped, each with its reason; about tag wikis, not kept.
    let votes = rows(&dir, "Votes.xml").len() as u64;
    assert!(
        report
            .skipped
            .iter()
            .all(|s| s.reason.contains("is not in the dump")),
        "{:?}",
        report.skipped
    );
    let skipped_votes = report
        .skipped
        .iter()
        .filter(|s| s.file == "Votes.xml")
        .count() as u64;
    let wiki_votes = report.not_kept;
    assert!(i.votes + skipped_votes <= votes && i.votes + skipped_votes + wiki_votes >= votes);
    assert_eq!(report.skipped_total, report.skipped.len() as u64);

    // Scores are the dump's votes; accepted answers and close states kept.
    for p in posts
        .iter()
        .filter(|r| matches!(r.get("PostTypeId"), Some("1") | Some("2")))
    {
        let id: i64 = p.get("Id").unwrap().parse().unwrap();
        let local = count(
            &app,
            &format!("SELECT local_id FROM import_map WHERE kind = 'post' AND source_id = {id}"),
        )
        .await;
        let post = app.post(local).await.unwrap();
        assert_eq!(post.score, p.int("Score").unwrap().unwrap(), "post {id}");
    }
    let accepted = posts
        .iter()
        .filter(|r| r.get("AcceptedAnswerId").is_some())
        .count() as i64;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM posts WHERE accepted_answer_id IS NOT NULL"
        )
        .await,
        accepted
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM accept_events").await,
        accepted
    );
    let closed = posts
        .iter()
        .filter(|r| r.get("ClosedDate").is_some())
        .count() as i64;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM posts WHERE closed_at IS NOT NULL AND close_reason = 'duplicate'"
        )
        .await,
        closed
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM posts WHERE duplicate_of IS NOT NULL"
        )
        .await,
        1
    );
    // Revisions: one per revision GUID of the posts kept.
    let history = rows(&dir, "PostHistory.xml");
    let kept: std::collections::HashSet<&str> = posts
        .iter()
        .filter(|r| matches!(r.get("PostTypeId"), Some("1") | Some("2")))
        .map(|r| r.get("Id").unwrap())
        .collect();
    let guids: std::collections::HashSet<&str> = history
        .iter()
        .filter(|r| {
            matches!(r.int("PostHistoryTypeId").unwrap(), Some(1..=9))
                && kept.contains(r.get("PostId").unwrap())
        })
        .map(|r| r.get("RevisionGUID").unwrap())
        .collect();
    assert_eq!(i.revisions, guids.len() as u64);
    // A tag wiki became the tag's description.
    let tags = app.store.tag_ids().await.unwrap();
    let badges = app.tag_detail("badges", None).await.unwrap();
    assert!(
        badges.tag.description.starts_with("Badges are awarded"),
        "{:?}",
        badges.tag.description
    );
    assert!(tags.contains_key("feature-request"));
    // A rendered post: Markdown kept its emphasis, the sanitizer its rules.
    let q1 = count(
        &app,
        "SELECT local_id FROM import_map WHERE kind = 'post' AND source_id = 1",
    )
    .await;
    let page = app.question(q1, None).await.unwrap();
    assert_eq!(
        page.question.title,
        "Are questions asked in conlangs accepted on this site?"
    );
    // Emphasis ending in punctuation stays HTML (Markdown would not close it).
    assert!(page
        .question
        .body_md
        .contains("<strong>do we accept questions asked in (popular) conlangs?</strong>"));
    assert!(page.question.body_html.contains("<strong>do we accept"));
    assert_eq!(page.answers.len(), 3);
    // Reputation: one imported-balance row per member, shown through the floor.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM reputation_ledger WHERE reason = 'imported_balance'"
        )
        .await,
        rows(&dir, "Users.xml")
            .iter()
            .filter(|u| u.int("Reputation").unwrap() != Some(0))
            .count() as i64
    );
    // Every cache equals its ledger.
    counters_agree(&app).await;

    // Re-running creates nothing.
    let before = count(&app, "SELECT (SELECT COUNT(*) FROM posts) + (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM comments) + (SELECT COUNT(*) FROM revisions) + (SELECT COUNT(*) FROM imported_votes) + (SELECT COUNT(*) FROM badge_awards) + (SELECT COUNT(*) FROM imported_badges)").await;
    let again = run(&app, &dir, ImportOptions::for_dir(&dir)).await;
    assert_eq!(
        again.imported.users
            + again.imported.questions
            + again.imported.answers
            + again.imported.comments
            + again.imported.votes
            + again.imported.revisions
            + again.imported.badges,
        0
    );
    assert!(again.already_imported > 2_000);
    // Into a community this size, the same dump is no longer a bulk load.
    assert_eq!(again.indexes_rebuilt, 0);
    let after = count(&app, "SELECT (SELECT COUNT(*) FROM posts) + (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM comments) + (SELECT COUNT(*) FROM revisions) + (SELECT COUNT(*) FROM imported_votes) + (SELECT COUNT(*) FROM badge_awards) + (SELECT COUNT(*) FROM imported_badges)").await;
    assert_eq!(before, after);
});

/// What a community is, independent of its ids: every post with its
/// author, text, score, tags, states and answers; members; comments.
async fn fingerprint(app: &App) -> Vec<String> {
    app.store
        .fingerprint_for_test(&[
            "SELECT u.username || '|' || CAST(u.reputation AS TEXT) || '|' || CAST(u.created_at AS TEXT) || '|' || u.about || '|' || u.location FROM users u",
            "SELECT CAST(p.kind AS TEXT) || '|' || u.username || '|' || p.title || '|' || p.body_md || '|' || p.tags || '|' || CAST(p.score AS TEXT) || '|' || CAST(p.upvotes AS TEXT) || '|' || CAST(p.answer_count AS TEXT) || '|' || CAST(p.created_at AS TEXT) || '|' || COALESCE(CAST(p.closed_at AS TEXT), '-') || p.close_reason || '|' || COALESCE(q.title, '-') || '|' || CAST(p.accepted_answer_id IS NOT NULL AS TEXT) || '|' || COALESCE(CAST(p.deleted_at AS TEXT), '-') || '|' || COALESCE(d.title, '-') FROM posts p JOIN users u ON u.id = p.author_id LEFT JOIN posts q ON q.id = p.question_id LEFT JOIN posts d ON d.id = p.duplicate_of",
            "SELECT u.username || '|' || c.body_md || '|' || CAST(c.created_at AS TEXT) FROM comments c JOIN users u ON u.id = c.author_id",
            "SELECT t.name || '|' || t.description || '|' || CAST(t.question_count AS TEXT) FROM tags t",
            "SELECT CAST(r.rev AS TEXT) || '|' || r.kind || '|' || r.title || '|' || r.body_md || '|' || r.tags || '|' || u.username || '|' || CAST(r.created_at AS TEXT) FROM revisions r JOIN users u ON u.id = r.author_id",
            "SELECT u.username || '|' || b.name || '|' || CAST(b.class AS TEXT) FROM imported_badges b JOIN users u ON u.id = b.user_id",
            "SELECT u.username || '|' || a.badge FROM badge_awards a JOIN users u ON u.id = a.user_id",
            "SELECT CAST(COUNT(*) AS TEXT) FROM imported_votes",
            "SELECT CAST(COUNT(*) AS TEXT) FROM bookmarks",
            "SELECT CAST(COUNT(*) AS TEXT) FROM post_links",
        ])
        .await
        .unwrap()
}

on_both!(
    import_export_import_is_the_same_community,
    |app: App| async move {
        let dir = conlang();
        run(&app, &dir, ImportOptions::for_dir(&dir)).await;
        let out = tmp("gh-export");
        let written = stackexchange::export(&app.store, &out).await.unwrap();
        assert_eq!(written["Users.xml"], 272);
        // Read a few rows at a time, every table comes out whole (votes and
        // badges were once cut short on PostgreSQL past their first page).
        let paged = tmp("gh-export-paged");
        let in_pages = stackexchange::export_paged(&app.store, &paged, 7)
            .await
            .unwrap();
        assert_eq!(in_pages, written);
        for f in ["Votes.xml", "Badges.xml", "Posts.xml", "PostHistory.xml"] {
            let a = std::fs::read_to_string(out.join(f)).unwrap();
            assert_eq!(a, std::fs::read_to_string(paged.join(f)).unwrap(), "{f}");
        }
        std::fs::remove_dir_all(&paged).ok();
        // No private data in the dump.
        for f in std::fs::read_dir(&out).unwrap() {
            let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
            assert!(
                !text.contains("@import.invalid")
                    && !text.contains("password")
                    && !text.contains("$argon2")
            );
        }
        let second = fresh(&app).await;
        let report = run(&second, &out, ImportOptions::for_dir(&out)).await;
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        let (a, b) = (fingerprint(&app).await, fingerprint(&second).await);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y);
        }
        assert_eq!(a.len(), b.len());
        std::fs::remove_dir_all(&out).ok();
    }
);

fn dump(files: &[(&str, String)]) -> PathBuf {
    let d = tmp("gh-bad-dump");
    for (name, body) in files {
        std::fs::write(d.join(name), body).unwrap();
    }
    d
}

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

fn q(id: i64, extra: &str) -> String {
    format!("<row Id=\"{id}\" PostTypeId=\"1\" CreationDate=\"2020-01-01T00:00:00.000\" Score=\"0\" Body=\"&lt;p&gt;Body of {id}&lt;/p&gt;\" Title=\"Question {id}\" Tags=\"&lt;t&gt;\" {extra}/>\n")
}

on_both!(
    counters_are_right_when_the_dump_repeats_a_vote,
    |app: App| async move {
        // Posts are written with vote counts counted ahead from Votes.xml,
        // which counts a repeated row twice; the import writes it once,
        // and its closing step then counts every post again from the rows.
        let vote = |id: i64, kind: i64| {
            format!("<row Id=\"{id}\" PostId=\"1\" VoteTypeId=\"{kind}\" CreationDate=\"2020-01-02T00:00:00.000\" />\n")
        };
        let d = dump(&[
            (
                "Posts.xml",
                format!("{HEAD}<posts>\n{}{}</posts>\n", q(1, ""), q(2, "")),
            ),
            (
                "Votes.xml",
                format!(
                    "{HEAD}<votes>\n{}{}{}{}</votes>\n",
                    vote(1, 2),
                    vote(1, 2),
                    vote(2, 3),
                    vote(3, 2)
                ),
            ),
        ]);
        let report = run(&app, &d, ImportOptions::for_dir(&d)).await;
        assert_eq!(report.imported.votes, 3);
        assert_eq!(report.closing.map(|c| c.counters), Some(Counters::All));
        assert_eq!(
            count(
                &app,
                "SELECT upvotes * 10 + downvotes FROM posts WHERE title = 'Question 1'"
            )
            .await,
            21
        );
        counters_agree(&app).await;
        std::fs::remove_dir_all(&d).ok();
    }
);

on_both!(
    a_batch_being_written_is_known_to_the_next,
    |app: App| async move {
        // One row a batch: each row is read while the one before it is
        // still being written. A deleted account's stand-in made by one
        // batch is reused by the next, and a repeated id is not written
        // twice.
        let gone = "OwnerDisplayName=\"gone\" ";
        let d = dump(&[(
            "Posts.xml",
            format!(
                "{HEAD}<posts>\n{}{}{}{}</posts>\n",
                q(1, gone),
                q(2, gone),
                q(2, gone),
                q(3, gone)
            ),
        )]);
        let mut opts = ImportOptions::for_dir(&d);
        opts.batch = 1;
        let report = run(&app, &d, opts).await;
        assert_eq!(report.imported.questions, 3);
        // Every row read was written as counted ahead, and a first run
        // knows its questions' answers: nothing is counted again; no
        // history, so first revisions are made.
        let closing = report.closing.unwrap();
        assert_eq!(closing.counters, Counters::Known);
        assert!(!closing.every_post_has_history);
        assert_eq!(report.skipped_total + report.already_imported, 1);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM posts").await, 3);
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM users WHERE username LIKE 'gone%'"
            )
            .await,
            1
        );
        assert_eq!(
            count(&app, "SELECT COUNT(DISTINCT author_id) FROM posts").await,
            1
        );
        counters_agree(&app).await;
        std::fs::remove_dir_all(&d).ok();
    }
);

on_both!(
    malformed_input_is_reported_and_skipped,
    |app: App| async move {
        let big = "x".repeat(50 << 20);
        let d = dump(&[
        ("Users.xml", format!("{HEAD}<users><row Id=\"1\" DisplayName=\"Ann\" CreationDate=\"2020-01-01T00:00:00.000\" Reputation=\"50\" /><row DisplayName=\"No id\" /><row Id=\"1\" DisplayName=\"Twin\" CreationDate=\"2020-01-01T00:00:00.000\" /></users>")),
        ("Posts.xml", format!(
            "{HEAD}<posts>\n{}{}<row Id=\"3\" PostTypeId=\"2\" ParentId=\"999\" CreationDate=\"2020-01-02T00:00:00.000\" Body=\"&lt;p&gt;orphan&lt;/p&gt;\" />\n{}<row Id=\"5\" PostTypeId=\"2\" ParentId=\"1\" CreationDate=\"2020-01-02T00:00:00.000\" Body=\"{big}\" />\n<row Id=\"6\" PostTypeId=\"2\" ParentId=\"1\" CreationDate=\"not a date\" Body=\"x\" />\n</posts>\n",
            q(1, "OwnerUserId=\"1\" "), q(2, "OwnerDisplayName=\"gone\" "), q(1, "OwnerUserId=\"1\" ")
        )),
        // Truncated in the middle of a row.
        ("Comments.xml", format!("{HEAD}<comments>\n<row Id=\"1\" PostId=\"1\" Text=\"fine comment\" CreationDate=\"2020-01-03T00:00:00.000\" UserId=\"1\" />\n<row Id=\"2\" PostId=\"1\" Te")),
        // A wrong encoding.
        ("Votes.xml", "<?xml version=\"1.0\" encoding=\"windows-1252\"?><votes><row Id=\"1\" PostId=\"1\" VoteTypeId=\"2\" CreationDate=\"2020-01-01\" /></votes>".into()),
    ]);
        let report = run(&app, &d, ImportOptions::for_dir(&d)).await;
        let reasons: Vec<String> = report
            .skipped
            .iter()
            .map(|s| format!("{} {} {}", s.file, s.row, s.reason))
            .collect();
        let has = |needle: &str| reasons.iter().any(|r| r.contains(needle));
        assert!(
            has("Users.xml 2 missing required attribute Id"),
            "{reasons:#?}"
        );
        assert!(has("Users.xml 3 duplicate Id 1"), "{reasons:#?}");
        assert!(has("Posts.xml 3 answer to question 999"), "{reasons:#?}");
        assert!(
            has("Posts.xml 4 duplicate Id 1") || has("Posts.xml 4"),
            "{reasons:#?}"
        );
        assert!(
            has("Posts.xml 5 body of 52428800 bytes is over the limit"),
            "{reasons:#?}"
        );
        assert!(
            has("Posts.xml 6 CreationDate=\"not a date\" is not a date"),
            "{reasons:#?}"
        );
        assert!(has("Comments.xml 2 the file ends early"), "{reasons:#?}");
        assert!(
            has("Votes.xml 0 the file declares encoding windows-1252"),
            "{reasons:#?}"
        );
        // What was good is in, whole.
        assert_eq!(
            (
                report.imported.users,
                report.imported.questions,
                report.imported.comments
            ),
            (1, 2, 1)
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM posts").await, 2);
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM users WHERE username = 'gone'").await,
            1
        );
        counters_agree(&app).await;

        // Stop at the first bad row: nothing after it, resumable, and a
        // rollback leaves the community as it was.
        let second = fresh(&app).await;
        let users_before = count(&second, "SELECT COUNT(*) FROM users").await;
        let mut opts = ImportOptions::for_dir(&d);
        opts.on_error = OnError::Stop;
        let stopped = run(&second, &d, opts).await;
        assert!(stopped.stopped);
        assert_eq!(stopped.skipped.len(), 1);
        assert_eq!(stopped.skipped[0].row, 2);
        assert_eq!(count(&second, "SELECT COUNT(*) FROM posts").await, 0);
        let name = d.file_name().unwrap().to_string_lossy().to_string();
        assert!(second.store.rollback_import(&name).await.unwrap());
        assert_eq!(
            count(&second, "SELECT COUNT(*) FROM users").await,
            users_before
        );
        assert_eq!(count(&second, "SELECT COUNT(*) FROM import_map").await, 0);
        std::fs::remove_dir_all(&d).ok();
    }
);

on_both!(
    interrupted_import_resumes_without_duplicates,
    |app: App| async move {
        let dir = conlang();
        // A first run that got as far as the users and half the questions
        // (batches of 10 rows; the source's progress says where it was).
        let mut opts = ImportOptions::for_dir(&dir);
        opts.batch = 10;
        let full = fresh(&app).await;
        let want = run(&full, &dir, opts.clone()).await;
        // Simulate the kill: import, then forget the later files' progress
        // and their rows' map entries are kept as the committed batches left them.
        let partial = dump(&[
            (
                "Users.xml",
                std::fs::read_to_string(dir.join("Users.xml")).unwrap(),
            ),
            ("Posts.xml", {
                let all = std::fs::read_to_string(dir.join("Posts.xml")).unwrap();
                // Cut after 60 rows: a truncated file, as a killed copy leaves it.
                let mut end = 0;
                for _ in 0..62 {
                    end += all[end..].find('\n').unwrap() + 1;
                }
                all[..end].to_string()
            }),
        ]);
        let mut o = opts.clone();
        o.name = "conlang".into();
        let first = run(&app, &partial, o.clone()).await;
        assert!(first.imported.questions > 0 && first.imported.questions < want.imported.questions);
        // The complete dump under the same name: the rest arrives, once.
        let rest = run(&app, &dir, o).await;
        assert_eq!(
            first.imported.questions + rest.imported.questions,
            want.imported.questions
        );
        assert_eq!(
            first.imported.answers + rest.imported.answers,
            want.imported.answers
        );
        assert_eq!(
            first.imported.users + rest.imported.users,
            want.imported.users
        );
        assert_eq!(
            fingerprint(&app).await.len(),
            fingerprint(&full).await.len()
        );
        counters_agree(&app).await;
        std::fs::remove_dir_all(&partial).ok();
    }
);

on_both!(
    killed_bulk_load_gets_its_indexes_back,
    |app: App| async move {
        let indexes = app.store.index_names(TABLES).await.unwrap();
        // PostgreSQL sets the tables' foreign keys aside too (SQLite cannot
        // drop one: there this query fails).
        let keys_sql = format!(
            "SELECT COUNT(*) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'f' AND t.relname IN ({})",
            TABLES.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(",")
        );
        let keys = app.store.count_for_test(&keys_sql).await.ok();
        assert!(keys.is_none_or(|n| n >= 8), "{keys:?}");
        // A bulk load sets the indexes aside, then dies before building them.
        let set_aside = app.store.defer_indexes(TABLES).await.unwrap();
        assert_eq!(set_aside as i64, indexes.len() as i64 + keys.unwrap_or(0));
        assert!(app.store.index_names(TABLES).await.unwrap().is_empty());
        if keys.is_some() {
            assert_eq!(app.store.count_for_test(&keys_sql).await.ok(), Some(0));
        }
        // The next start builds them, once.
        app.store.migrate().await.unwrap();
        assert_eq!(app.store.index_names(TABLES).await.unwrap(), indexes);
        assert_eq!(app.store.count_for_test(&keys_sql).await.ok(), keys);
        assert_eq!(app.store.restore_indexes().await.unwrap(), 0);
        // An index built by a start while the load still ran is no error.
        app.store.defer_indexes(&["posts"]).await.unwrap();
        app.store.migrate().await.unwrap();
        app.store.migrate().await.unwrap();
        assert_eq!(app.store.index_names(TABLES).await.unwrap(), indexes);
        assert_eq!(app.store.count_for_test(&keys_sql).await.ok(), keys);
    }
);

on_both!(
    counters_counted_ahead_are_corrected_by_the_rows,
    |app: App| async move {
        // Posts are written with counters counted ahead from Votes.xml and
        // Comments.xml; rows the passes then refuse or find twice must not
        // leave those counts behind.
        let d = dump(&[
            ("Users.xml", format!("{HEAD}<users><row Id=\"1\" DisplayName=\"Ann\" CreationDate=\"2020-01-01T00:00:00.000\" Reputation=\"1\" /></users>")),
            ("Posts.xml", format!(
                "{HEAD}<posts>\n{}<row Id=\"2\" PostTypeId=\"2\" ParentId=\"1\" CreationDate=\"2020-01-02T00:00:00.000\" Body=\"&lt;p&gt;an answer&lt;/p&gt;\" />\n</posts>\n",
                q(1, "OwnerUserId=\"1\" ")
            )),
            // Vote 1 twice (kept once); vote 2 refused (its UserId is no number).
            ("Votes.xml", format!("{HEAD}<votes>\n<row Id=\"1\" PostId=\"1\" VoteTypeId=\"2\" CreationDate=\"2020-01-01T00:00:00.000\" />\n<row Id=\"1\" PostId=\"1\" VoteTypeId=\"2\" CreationDate=\"2020-01-01T00:00:00.000\" />\n<row Id=\"2\" PostId=\"2\" VoteTypeId=\"3\" UserId=\"abc\" CreationDate=\"2020-01-01T00:00:00.000\" />\n<row Id=\"3\" PostId=\"2\" VoteTypeId=\"2\" CreationDate=\"2020-01-01T00:00:00.000\" />\n</votes>\n")),
            // Comment 1 refused (its UserId is no number); comment 2 kept.
            ("Comments.xml", format!("{HEAD}<comments>\n<row Id=\"1\" PostId=\"1\" Text=\"refused\" CreationDate=\"2020-01-03T00:00:00.000\" UserId=\"zz\" />\n<row Id=\"2\" PostId=\"2\" Text=\"kept\" CreationDate=\"2020-01-03T00:00:00.000\" UserId=\"1\" />\n</comments>\n")),
        ]);
        let report = run(&app, &d, ImportOptions::for_dir(&d)).await;
        assert_eq!(report.skipped_total, 2, "{:?}", report.skipped);
        let counters = |source: i64| {
            format!("SELECT p.score * 1000000 + p.upvotes * 10000 + p.downvotes * 100 + p.comment_count FROM posts p JOIN import_map m ON m.local_id = p.id AND m.kind = 'post' WHERE m.source_id = {source}")
        };
        // Question: one up vote, no comment. Answer: one up vote, one comment.
        assert_eq!(count(&app, &counters(1)).await, 1_010_000);
        assert_eq!(count(&app, &counters(2)).await, 1_010_001);
        assert_eq!(
            count(&app, "SELECT answer_count FROM posts WHERE kind = 1").await,
            1
        );
        counters_agree(&app).await;
        std::fs::remove_dir_all(&d).ok();
    }
);

on_both!(
    a_first_run_knows_its_answer_and_tag_counts,
    |app: App| async move {
        // Questions 1 and 3 have answers, 5 has none; 1's accepted answer
        // is 2. Batches of two rows: answers land in other batches than
        // their questions. Nothing skipped and no post hidden: the closing
        // step takes the counts the import kept instead of counting rows,
        // and corrects the dump's AnswerCount where the rows disagree.
        // A second dump deletes an answer in its history: counted again.
        let a = |id: i64, parent: i64| {
            format!("<row Id=\"{id}\" PostTypeId=\"2\" ParentId=\"{parent}\" CreationDate=\"2020-01-02T00:00:00.000\" Body=\"&lt;p&gt;answer {id}&lt;/p&gt;\" />\n")
        };
        let posts = |base: i64| {
            format!(
                "{HEAD}<posts>\n{}{}{}{}{}{}{}</posts>\n",
                q(base + 1, &format!("AcceptedAnswerId=\"{}\" ", base + 2)),
                a(base + 2, base + 1),
                q(base + 3, "AnswerCount=\"5\" "),
                a(base + 4, base + 1),
                q(base + 5, "AnswerCount=\"2\" "),
                a(base + 6, base + 3),
                a(base + 7, base + 1),
            )
        };
        let answers = |base: i64| {
            format!("SELECT p.answer_count * 10 + CASE WHEN p.accepted_answer_id IS NULL THEN 0 ELSE 1 END FROM posts p JOIN import_map m ON m.local_id = p.id AND m.kind = 'post' WHERE m.source_id = {base}")
        };
        let d = dump(&[("Posts.xml", posts(0))]);
        let mut opts = ImportOptions::for_dir(&d);
        opts.batch = 2;
        let report = run(&app, &d, opts).await;
        assert_eq!(report.imported.answers, 4);
        assert_eq!(report.closing.map(|c| c.counters), Some(Counters::Known));
        assert_eq!(count(&app, &answers(1)).await, 31);
        assert_eq!(count(&app, &answers(3)).await, 10);
        assert_eq!(count(&app, &answers(5)).await, 0);
        assert_eq!(
            count(&app, "SELECT question_count FROM tags WHERE name = 't'").await,
            3
        );
        assert_eq!(
            count(
                &app,
                "SELECT accepted_answer_id FROM posts WHERE title = 'Question 1'"
            )
            .await,
            count(
                &app,
                "SELECT local_id FROM import_map WHERE kind = 'post' AND source_id = 2"
            )
            .await
        );
        counters_agree(&app).await;
        std::fs::remove_dir_all(&d).ok();

        let deleted = "<row Id=\"1\" PostHistoryTypeId=\"12\" PostId=\"17\" CreationDate=\"2020-01-05T00:00:00.000\" />\n";
        let d = dump(&[
            ("Posts.xml", posts(10)),
            (
                "PostHistory.xml",
                format!("{HEAD}<posthistory>\n{deleted}</posthistory>\n"),
            ),
        ]);
        let mut opts = ImportOptions::for_dir(&d);
        opts.name = "second".into();
        let report = run(&app, &d, opts).await;
        assert_eq!(report.closing.map(|c| c.counters), Some(Counters::Answers));
        assert_eq!(count(&app, &answers(11)).await, 21);
        counters_agree(&app).await;
        std::fs::remove_dir_all(&d).ok();
    }
);

on_both!(
    revision_texts_read_back_are_the_same,
    |app: App| async move {
        // With batches of 2 rows, a post's text is dropped from memory
        // after 20 revisions and read back from the database when the post
        // is edited again: the revisions come out the same as with
        // everything kept.
        let dir = conlang();
        run(&app, &dir, ImportOptions::for_dir(&dir)).await;
        let small = fresh(&app).await;
        let opts = ImportOptions {
            batch: 2,
            ..ImportOptions::for_dir(&dir)
        };
        run(&small, &dir, opts).await;
        let (a, b) = (fingerprint(&app).await, fingerprint(&small).await);
        let extra: Vec<_> = b.iter().filter(|x| !a.contains(x)).take(8).collect();
        let missing: Vec<_> = a.iter().filter(|x| !b.contains(x)).take(8).collect();
        assert_eq!(a.len(), b.len(), "extra {extra:#?} missing {missing:#?}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y);
        }
    }
);

on_both!(
    history_resumed_midway_makes_the_same_revisions,
    |app: App| async move {
        // A run killed half-way through PostHistory.xml, then the whole
        // dump again under the same name: later edits of posts whose
        // earlier revisions the first run wrote start from those revisions.
        let dir = conlang();
        let full = fresh(&app).await;
        run(&full, &dir, ImportOptions::for_dir(&dir)).await;
        let history = std::fs::read_to_string(dir.join("PostHistory.xml")).unwrap();
        let lines: Vec<&str> = history.split_inclusive('\n').collect();
        let mut files: Vec<(&str, String)> = ["Users.xml", "Posts.xml", "Tags.xml"]
            .iter()
            .map(|f| (*f, std::fs::read_to_string(dir.join(f)).unwrap()))
            .collect();
        files.push(("PostHistory.xml", lines[..lines.len() / 2].concat()));
        let partial = dump(&files);
        let opts = ImportOptions {
            name: "conlang".into(),
            batch: 7,
            ..ImportOptions::for_dir(&dir)
        };
        let first = run(&app, &partial, opts.clone()).await;
        assert!(first.imported.revisions > 50, "{first:?}");
        run(&app, &dir, opts).await;
        let (a, b) = (fingerprint(&full).await, fingerprint(&app).await);
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x, y);
        }
        std::fs::remove_dir_all(&partial).ok();
    }
);

// Members' own bookmarks leave as favourites and come back as bookmarks;
// imported favourites are not written twice (the round trip above).
on_both!(
    members_bookmarks_leave_as_favourites,
    |app: App| async move {
        use crate::fixtures::{form, user, world};
        world(&app).await;
        let asker = user(&app, "asker").await;
        let reader = user(&app, "reader").await;
        let q = app
            .ask(&asker, &form("A question to keep elsewhere"))
            .await
            .unwrap();
        app.bookmark(&reader, q, true).await.unwrap();
        let out = tmp("gh-export-bookmarks");
        stackexchange::export(&app.store, &out).await.unwrap();
        let votes = std::fs::read_to_string(out.join("Votes.xml")).unwrap();
        assert_eq!(votes.matches("VoteTypeId=\"5\"").count(), 1, "{votes}");
        let second = fresh(&app).await;
        let report = run(&second, &out, ImportOptions::for_dir(&out)).await;
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        let kept = count(
        &second,
        "SELECT COUNT(*) FROM bookmarks b JOIN users u ON u.id = b.user_id JOIN posts p ON p.id = b.post_id \
         WHERE u.username = 'reader' AND p.title = 'A question to keep elsewhere'",
    )
    .await;
        assert_eq!(kept, 1);
        std::fs::remove_dir_all(&out).ok();
    }
);
