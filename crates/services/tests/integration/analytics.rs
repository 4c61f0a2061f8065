//! GitHub analytics end to end: GH Archive lines of both schemas into the
//! aggregate tables, re-imports, malformed lines, tracking, then compute
//! and the repository report, checked against hand-computed values.

use crate::harness;
use crate::on_both;
use guildhall_analytics::rules::Tracking;
use guildhall_analytics::time::{days_from_civil, Month};
use guildhall_services::analytics::{ImportOptions, ImportReport, Input, Period};
use guildhall_services::storage::analytics::RankOrder;
use guildhall_services::App;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const DAY: i64 = 86_400;
/// 2026-10-01T00:00:00Z
fn t0() -> i64 {
    days_from_civil(2026, 10, 1) * DAY
}
fn ts(t: i64) -> String {
    let (y, m, d) = guildhall_analytics::time::civil_from_days(t.div_euclid(DAY));
    let s = t.rem_euclid(DAY);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn user(login: &str, id: u64) -> serde_json::Value {
    json!({"login": login, "id": id, "type": "User"})
}

fn ev(
    id: u64,
    kind: &str,
    actor: (&str, u64),
    repo: (&str, u64),
    at: i64,
    payload: serde_json::Value,
) -> String {
    json!({"id": id.to_string(), "type": kind, "actor": {"id": actor.1, "login": actor.0},
           "repo": {"id": repo.1, "name": repo.0}, "payload": payload, "public": true, "created_at": ts(at)})
    .to_string()
}

const ALICE: (&str, u64) = ("alice", 101);
const BOB: (&str, u64) = ("bob", 102);
const CAROL: (&str, u64) = ("carol", 103);
const DAVE: (&str, u64) = ("dave", 104);
const BOT: (&str, u64) = ("dependabot[bot]", 900);
const WIDGET: (&str, u64) = ("acme/widget", 1);
const GADGET: (&str, u64) = ("acme/gadget", 2);
const THING: (&str, u64) = ("other/thing", 3);

/// The first file: full-schema events, a slim pull request, bad lines.
fn first_file() -> Vec<String> {
    let t = t0();
    vec![
        // Issue #1: opened by alice on day 1, her own comment, bob answers a day later.
        ev(
            1,
            "IssuesEvent",
            ALICE,
            WIDGET,
            t + DAY,
            json!({"action": "opened", "issue": {"number": 1, "user": user("alice", 101)}}),
        ),
        ev(
            2,
            "IssueCommentEvent",
            ALICE,
            WIDGET,
            t + DAY + 60,
            json!({"action": "created", "issue": {"number": 1, "user": user("alice", 101)}, "comment": {"id": 9}}),
        ),
        ev(
            3,
            "IssueCommentEvent",
            BOB,
            WIDGET,
            t + 2 * DAY,
            json!({"action": "created", "issue": {"number": 1, "user": user("alice", 101)}, "comment": {"id": 10}}),
        ),
        // PR #2 (full schema): alice opens on day 3, bob reviews on day 4, carol merges on day 5.
        ev(
            4,
            "PullRequestEvent",
            ALICE,
            WIDGET,
            t + 3 * DAY,
            json!({"action": "opened", "number": 2, "pull_request": {"number": 2, "user": user("alice", 101), "merged": false}}),
        ),
        ev(
            5,
            "PullRequestReviewEvent",
            BOB,
            WIDGET,
            t + 4 * DAY,
            json!({"action": "created", "review": {"state": "approved"}, "pull_request": {"number": 2, "user": user("alice", 101)}}),
        ),
        ev(
            6,
            "PullRequestReviewCommentEvent",
            BOB,
            WIDGET,
            t + 4 * DAY + 10,
            json!({"action": "created", "comment": {"id": 11}, "pull_request": {"number": 2, "user": user("alice", 101)}}),
        ),
        ev(
            7,
            "PullRequestEvent",
            CAROL,
            WIDGET,
            t + 5 * DAY,
            json!({"action": "closed", "number": 2, "pull_request": {"number": 2, "user": user("alice", 101), "merged": true, "merged_at": ts(t + 5 * DAY)}}),
        ),
        // PR #3 (2025 slim schema): dave opens on day 6, it is merged on day 7
        // by an event that names neither author nor merge flag, only the action.
        ev(
            8,
            "PullRequestEvent",
            DAVE,
            WIDGET,
            t + 6 * DAY,
            json!({"action": "opened", "number": 3, "pull_request": {"id": 77, "number": 3, "head": {"ref": "x"}, "base": {"ref": "main"}}}),
        ),
        ev(
            9,
            "PullRequestEvent",
            CAROL,
            WIDGET,
            t + 7 * DAY,
            json!({"action": "merged", "number": 3, "pull_request": {"id": 77, "number": 3}}),
        ),
        // A slim push (no commit list) and a full one by a bot.
        ev(
            10,
            "PushEvent",
            DAVE,
            WIDGET,
            t + 7 * DAY,
            json!({"push_id": 1, "ref": "refs/heads/main", "head": "a", "before": "b"}),
        ),
        ev(
            11,
            "PushEvent",
            BOT,
            WIDGET,
            t + 8 * DAY,
            json!({"push_id": 2, "size": 2, "distinct_size": 2, "commits": [{}, {}]}),
        ),
        "this is not json".to_string(),
        String::new(),
        json!({"id": "12", "type": "WatchEvent"}).to_string(),
        // Stars and a fork; gadget and thing get a little activity.
        ev(
            13,
            "WatchEvent",
            ("x", 201),
            WIDGET,
            t + 9 * DAY,
            json!({"action": "started"}),
        ),
        ev(
            14,
            "WatchEvent",
            ("y", 202),
            WIDGET,
            t + 9 * DAY,
            json!({"action": "started"}),
        ),
        ev(
            15,
            "ForkEvent",
            ("z", 203),
            WIDGET,
            t + 9 * DAY,
            json!({"forkee": {"id": 5}}),
        ),
        ev(
            16,
            "IssuesEvent",
            BOB,
            GADGET,
            t + 10 * DAY,
            json!({"action": "opened", "issue": {"number": 1, "user": user("bob", 102)}}),
        ),
        ev(
            17,
            "IssuesEvent",
            CAROL,
            THING,
            t + 10 * DAY,
            json!({"action": "opened", "issue": {"number": 1, "user": user("carol", 103)}}),
        ),
    ]
}

fn write(lines: &[String], gz: bool) -> PathBuf {
    let dir = harness::scratch("gh");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(if gz { "events.json.gz" } else { "events.json" });
    let text = lines.join("\n") + "\n";
    if gz {
        let mut e = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        e.write_all(text.as_bytes()).unwrap();
        e.finish().unwrap();
    } else {
        std::fs::write(&path, text).unwrap();
    }
    path
}

async fn import(app: &App, path: &Path, tracking: Option<Tracking>) -> ImportReport {
    import_with(app, path, tracking, None).await
}

async fn import_with(
    app: &App,
    path: &Path,
    tracking: Option<Tracking>,
    bulk: Option<bool>,
) -> ImportReport {
    let opts = ImportOptions {
        tracking,
        threads: 2,
        flush_entries: 5,
        bulk,
    };
    app.analytics_import(
        vec![Input::File(path.to_path_buf())],
        opts,
        Arc::new(|_| {}),
    )
    .await
    .unwrap()
}

on_both!(
    imports_both_schemas_once_and_reports_bad_lines,
    |app: App| async move {
        let first = write(&first_file(), false);
        // The first import as a bulk load (indexes dropped, built at the
        // end), the later ones row by row on top of it: the hand-computed
        // values below hold for both ways of writing.
        let indexes = app.store.gh_index_names().await.unwrap();
        assert_eq!(indexes.len(), 9, "{indexes:?}");
        let r = import_with(&app, &first, None, Some(true)).await;
        assert!(r.indexes_rebuilt);
        assert_eq!(app.store.gh_index_names().await.unwrap(), indexes);
        assert_eq!(
            (r.lines, r.events, r.duplicates, r.malformed),
            (19, 16, 0, 2),
            "{r:?}"
        );
        let lines: Vec<u64> = r.malformed_lines.iter().map(|m| m.line).collect();
        assert_eq!(lines, vec![12, 14], "{:?}", r.malformed_lines);
        assert!(
            r.malformed_lines[0].reason.contains("not a JSON event"),
            "{:?}",
            r.malformed_lines
        );
        assert!(
            r.malformed_lines[1].reason.contains("created_at")
                || r.malformed_lines[1].reason.contains("actor")
        );
        assert_eq!(r.by_kind["pull_merged"], 2);

        // Importing the same file again changes nothing; a gzip file with one
        // old and one new event adds only the new one.
        let again = import(&app, &first, None).await;
        assert_eq!((again.events, again.duplicates), (0, 16));
        assert!(
            !again.indexes_rebuilt,
            "a small file into a larger database"
        );
        let t = t0();
        let more = write(
            &[
                ev(
                    3,
                    "IssueCommentEvent",
                    BOB,
                    WIDGET,
                    t + 2 * DAY,
                    json!({"action": "created", "issue": {"number": 1}}),
                ),
                ev(
                    18,
                    "WatchEvent",
                    ("w", 204),
                    WIDGET,
                    t + 11 * DAY,
                    json!({"action": "started"}),
                ),
            ],
            true,
        );
        let r = import(&app, &more, None).await;
        assert_eq!((r.events, r.duplicates), (1, 1));
        // Tracking keeps only the named repositories.
        let other = write(
            &[ev(
                19,
                "WatchEvent",
                ("v", 205),
                THING,
                t + 12 * DAY,
                json!({}),
            )],
            false,
        );
        let r = import(
            &app,
            &other,
            Some(Tracking {
                repositories: vec!["acme/widget".into()],
                organizations: vec![],
            }),
        )
        .await;
        assert_eq!((r.events, r.untracked), (0, 1));

        let s = &app.store;
        assert_eq!(s.gh_count("gh_stars").await.unwrap(), 3);
        assert_eq!(s.gh_count("gh_items").await.unwrap(), 5);
        let oct = Month::new(2026, 10);
        let merged = s.gh_month_merged(oct).await.unwrap();
        let mut merged: Vec<_> = merged.into_iter().collect();
        merged.sort();
        // PR #2 credited to alice from its payload, the slim PR #3 to dave from
        // the event that opened it.
        assert_eq!(merged, vec![(1, 101, 1), (1, 104, 1)]);

        // Compute, then check alice's activity in widget by hand:
        // 1 issue (2.2235) + 1 comment (0.5252) + 1 PR (4.0679) + 1 merged (2.0339)
        // = 8.8505 → sqrt = 2.97498…
        // A bulk import killed before its end leaves the indexes dropped;
        // the next compute (or import) builds them before reading.
        s.defer_indexes(guildhall_storage::analytics::GH_WRITTEN_TABLES)
            .await
            .unwrap();
        assert!(s.gh_index_names().await.unwrap().len() < indexes.len());
        let months = app.analytics_compute(None).await.unwrap();
        assert_eq!(s.gh_index_names().await.unwrap(), indexes);
        assert_eq!(months.len(), 1);
        assert_eq!(months[0].bots, 1);
        assert!(months[0].converged);
        let alice = s.gh_rank_series("actor", 101).await.unwrap();
        assert_eq!(alice.len(), 1);
        assert!(
            (alice[0].activity - 8.8505f64.sqrt()).abs() < 1e-9,
            "{}",
            alice[0].activity
        );
        // bob: 1 comment + 1 review comment in widget (0.5252 + 0.7427 = 1.2679)
        // and 1 issue in gadget (2.2235): two repositories.
        let bob = s.gh_rank_series("actor", 102).await.unwrap();
        assert!((bob[0].activity - (1.2679f64.sqrt() + 2.2235f64.sqrt())).abs() < 1e-9);
        assert_eq!(bob[0].participants, 2);
        assert!(alice[0].openrank.unwrap() > 0.0 && bob[0].openrank.unwrap() > 0.0);
        // The bot has no developer row.
        assert!(s.gh_rank_series("actor", 900).await.unwrap().is_empty());
        let widget = s.gh_rank_series("repo", 1).await.unwrap();
        // alice, bob, dave — carol only closed a PR.
        assert_eq!(widget[0].participants, 3);

        let rep = app
            .analytics_repo_report("ACME/Widget", Period::Month)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rep.repo, "acme/widget");
        let row = &rep.rows[0];
        assert_eq!(row.period, "2026-10");
        assert_eq!((row.stars, row.forks), (3, 1));
        assert_eq!(row.attention, 5.0);
        assert_eq!(
            (row.prs_opened, row.prs_merged, row.prs_declined),
            (2, 2, 0)
        );
        assert_eq!(
            row.new_contributors, 2,
            "alice and dave had their first merge"
        );
        // Issue #1: bob answered one day after opening (alice's own comment does not count).
        assert_eq!(row.issue_response_days, Some(1.0));
        // PRs: #2 reviewed after 1 day; #3 never answered but older than the
        // data end minus the 15-day cap? It opened on day 6 and the data ends
        // with October, so it counts as the cap: median of 1 and 15 = 8.
        assert_eq!(row.pr_response_days, Some(8.0));
        assert_eq!(
            row.pr_resolution_days,
            Some(1.5),
            "median of 2 days and 1 day"
        );
        // Widget's activity: alice sqrt(8.8505) = 2.975, dave (1 PR opened,
        // 1 merged) sqrt(6.1018) = 2.470, bob sqrt(1.2679) = 1.126; half of the
        // 6.571 total is 3.286, more than alice alone: two developers.
        assert_eq!(row.bus_factor, 2);
        assert_eq!(rep.bots, vec![("dependabot[bot]".to_string(), 1)]);
        assert_eq!(rep.developers[0].login, "alice");
        let q = app
            .analytics_repo_report("acme/widget", Period::Quarter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(q.rows[0].period, "2026Q4");
        assert!(app
            .analytics_repo_report("nobody/none", Period::Month)
            .await
            .unwrap()
            .is_none());

        // The developer page's numbers: alice as above, in one repository.
        let d = app
            .analytics_developer_report("Alice", Period::Month)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((d.login.as_str(), d.is_bot), ("alice", false));
        assert!((d.rows[0].activity - 8.8505f64.sqrt()).abs() < 1e-9);
        assert_eq!(
            (
                d.rows[0].repositories,
                d.rows[0].prs_merged,
                d.rows[0].issues_opened
            ),
            (1, 1, 1)
        );
        assert_eq!(d.rows[0].openrank, alice[0].openrank.unwrap());
        assert_eq!(d.repositories[0].repo, "acme/widget");
        let b = app
            .analytics_developer_report("bob", Period::Year)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (b.rows[0].period.as_str(), b.rows[0].repositories),
            ("2026", 2)
        );
        // gadget's issue (2.2235) outweighs widget's comments (1.2679).
        assert_eq!(b.repositories[0].repo, "acme/gadget");
        let bot = app
            .analytics_developer_report("dependabot[bot]", Period::Month)
            .await
            .unwrap()
            .unwrap();
        assert!(bot.is_bot && bot.rows.is_empty());

        // The overview: every ranked repository and developer of the month,
        // by OpenRank or by activity.
        let o = app
            .analytics_overview(None, RankOrder::OpenRank, 50)
            .await
            .unwrap();
        assert_eq!(o.months, vec!["2026-10".to_string()]);
        assert_eq!(o.month.as_deref(), Some("2026-10"));
        assert_eq!(o.developers_ranked as usize, o.developers.len());
        assert!(o
            .developers
            .windows(2)
            .all(|w| w[0].openrank >= w[1].openrank));
        assert!(o.developers.iter().all(|d| d.name != "dependabot[bot]"));
        let by_activity = app
            .analytics_overview(Some(oct), RankOrder::Activity, 1)
            .await
            .unwrap();
        assert_eq!(by_activity.repositories[0].name, "acme/widget");
        assert_eq!(by_activity.developers[0].name, "alice");
        assert_eq!(by_activity.developers.len(), 1);
        assert!(app
            .analytics_overview(Some(Month::new(2020, 1)), RankOrder::Activity, 5)
            .await
            .unwrap()
            .month
            .is_none());
    }
);

on_both!(
    a_star_ring_is_caught_and_ordinary_developers_are_not,
    |app: App| async move {
        use guildhall_analytics::vanity::Reason;
        let t = t0();
        let mut lines = Vec::new();
        let mut id = 1u64;
        let mut push = |kind: &str, actor: (&str, u64), repo: (&str, u64), at: i64| {
            lines.push(ev(id, kind, actor, repo, at, json!({"action": "started"})));
            id += 1;
        };
        let ring_repos: Vec<(String, u64)> =
            (0..12).map(|i| (format!("ring/r{i}"), 100 + i)).collect();
        // 60 fresh accounts star the same 12 repositories within a week.
        for a in 0..60u64 {
            let login = format!("fresh{a}");
            for (i, (name, rid)) in ring_repos.iter().enumerate() {
                let at = t + (a as i64 % 7) * DAY + i as i64 * 60;
                push("WatchEvent", (&login, 5_000 + a), (name, *rid), at);
            }
        }
        // 60 ordinary developers: each stars 12 of 200 repositories over the
        // month and comments on other days; the first ten also star ring/r0.
        for a in 0..60u64 {
            let login = format!("dev{a}");
            for k in 0..12u64 {
                let r = 300 + (a * 7 + k * 13) % 200;
                let at = t + ((a + k * 2) % 28) as i64 * DAY;
                push(
                    "WatchEvent",
                    (&login, 6_000 + a),
                    (&format!("o/r{r}"), r),
                    at,
                );
            }
            push(
                "IssueCommentEvent",
                (&login, 6_000 + a),
                ("o/r300", 300),
                t + 29 * DAY,
            );
            if a < 10 {
                push(
                    "WatchEvent",
                    (&login, 6_000 + a),
                    ("ring/r0", 100),
                    t + 20 * DAY,
                );
            }
        }
        // A drive-by account: one star, nothing else.
        push(
            "WatchEvent",
            ("driveby", 7_000),
            ("ring/r0", 100),
            t + 3 * DAY,
        );
        let file = write(&lines, false);
        let r = import(&app, &file, None).await;
        assert_eq!(r.events as usize, 60 * 12 + 60 * 13 + 10 + 1);
        app.analytics_compute(None).await.unwrap();

        let rep = app
            .analytics_repo_report("ring/r0", Period::Month)
            .await
            .unwrap()
            .unwrap();
        let v = &rep.vanity;
        assert_eq!((v.stargazers, v.suspected), (71, 61));
        assert_eq!(v.groups.len(), 1, "{:?}", v.groups);
        let g = &v.groups[0];
        assert_eq!((g.accounts, g.repositories, g.starred_here), (60, 12, 60));
        assert!(g.to - g.from < 7 * DAY);
        for s in &v.suspects {
            if s.login == "driveby" {
                assert_eq!(
                    s.reasons,
                    vec![Reason::LowActivity {
                        days: 1,
                        actions: 1,
                        repositories: 1
                    }]
                );
            } else {
                assert!(s.login.starts_with("fresh"), "{} flagged", s.login);
                assert!(matches!(
                    s.reasons.as_slice(),
                    [Reason::Lockstep {
                        accounts: 60,
                        repositories: 12,
                        ..
                    }]
                ));
            }
        }
        assert_eq!((rep.rows[0].stars, rep.rows[0].stars_suspected), (71, 61));
        assert!(!v.divergence.flagged);
        assert_eq!(v.divergence.months, 1);
        // An ordinary developer's repository has no suspects.
        let plain = app
            .analytics_repo_report("o/r300", Period::Month)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(plain.vanity.suspected, 0);
        assert!(plain.vanity.stargazers > 0);
    }
);

/// SQLite: a bulk writer's log is copied into the database while the
/// writer still holds its connection, by the copier beside it (nobody else
/// checkpoints here), and what was written reads back whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_writers_log_is_copied_back_while_it_writes() {
    use guildhall_analytics::aggregate::{Aggregate, Counts};
    let dir = harness::scratch("log-copier");
    let store = guildhall_services::storage::Store::open_data_dir(&dir)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.checkpoint().await.unwrap();
    let file = dir.join("guildhall.db");
    let before = std::fs::metadata(&file).unwrap().len();
    let mut w = store.gh_writer().await.unwrap();
    let mut agg = Aggregate::default();
    for repo in 0..20_000u64 {
        let c = Counts {
            pushes: 1,
            ..Counts::default()
        };
        agg.monthly.insert((Month::new(2026, 10), repo, 7), c);
    }
    store.gh_apply(&mut w, &agg, &[]).await.unwrap();
    // About 1 MB of rows; the copier wakes every 200 ms.
    let mut size = before;
    for _ in 0..50 {
        size = std::fs::metadata(&file).unwrap().len();
        if size > before + 512 * 1024 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        size > before + 512 * 1024,
        "the database file stayed at {size} bytes (was {before})"
    );
    drop(w);
    let n = store
        .count_for_test("SELECT COUNT(*) FROM gh_monthly WHERE actor_id = 7")
        .await
        .unwrap();
    assert_eq!(n, 20_000);
    std::fs::remove_dir_all(&dir).ok();
}
