//! GitHub activity for the demo community: four months of GH Archive-format
//! events (one JSON object per line) for a small organisation, so the
//! analytics pages have something real to show after `serve --demo`.
//!
//! Seeded and deterministic. Developers are drawn with skewed popularity
//! (a few do most of the work, as in real projects); issues and pull
//! requests are numbered per repository and commented, reviewed, closed
//! and merged after they were opened; two bots open pull requests; and a
//! ring of fresh accounts stars one repository within a few days and does
//! nothing else, which the vanity-metrics detection is there to catch.

use guildhall_stackexchange::dates;
use guildhall_storage::bench::Rng;

const DEVELOPERS: &[&str] = &[
    "mei-chen",
    "lukas-weber",
    "priya-nair",
    "tomasz-kowal",
    "ana-souza",
    "kenji-tanaka",
    "fatima-zahra",
    "oliver-jones",
    "yuki-sato",
    "diego-ramos",
    "li-wei",
    "sara-morris",
    "ivan-petrov",
    "nora-hansen",
    "arjun-kumar",
    "emma-larsen",
    "zhang-hao",
    "wang-fang",
    "chen-jie",
    "liu-yang",
    "hans-meyer",
    "chloe-bernard",
    "omar-aziz",
    "julia-krause",
    "zhou-ming",
    "noah-walker",
    "lena-fischer",
    "raj-patel",
    "sofia-garcia",
    "ethan-clark",
];

const BOTS: &[&str] = &["dependabot[bot]", "github-actions[bot]"];

/// (repository, how busy it is).
const REPOS: &[(&str, u32)] = &[
    ("guildhall-demo/guildhall", 10),
    ("guildhall-demo/docs", 4),
    ("guildhall-demo/cli", 3),
    ("guildhall-demo/awesome-devrel", 1),
];

/// The repository the star ring inflates, and the ring's size.
const RING_TARGET: usize = 3;
const RING: u64 = 30;
const DAYS: i64 = 120;

fn chance(rng: &mut Rng, percent: u64) -> bool {
    rng.below(100) < percent
}

/// An index in 0..n, low ones far more often (a few developers do most of
/// the work).
fn skewed(rng: &mut Rng, n: usize) -> usize {
    let u = rng.below(1_000_000) as f64 / 1_000_000.0;
    ((u * u * u) * n as f64) as usize
}

/// Events with their times, put in order at the end.
struct Writer {
    out: Vec<(i64, String)>,
    next_id: u64,
}

impl Writer {
    fn event(&mut self, kind: &str, actor: (u64, &str), repo: (u64, &str), payload: &str, at: i64) {
        self.next_id += 1;
        let line = format!(
            r#"{{"id":"{}","type":"{kind}","actor":{{"id":{},"login":"{}"}},"repo":{{"id":{},"name":"{}"}},"payload":{payload},"public":true,"created_at":"{}"}}"#,
            self.next_id,
            actor.0,
            actor.1,
            repo.0,
            repo.1,
            dates::format(at)
        );
        self.out.push((at, line));
    }
}

/// An open issue or pull request: its number, author and when it opened.
struct Item {
    number: u64,
    author: usize,
    opened: i64,
}

/// The demo's events for the `DAYS` days before `now`, oldest first.
pub fn demo_events(now: i64) -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut w = Writer {
        out: Vec::new(),
        next_id: 40_000_000_000,
    };
    let people: Vec<(u64, &str)> = DEVELOPERS
        .iter()
        .chain(BOTS)
        .enumerate()
        .map(|(i, name)| (1_000 + i as u64, *name))
        .collect();
    let bots = DEVELOPERS.len()..people.len();
    let start = now - DAYS * 86_400;
    for (r, (name, busy)) in REPOS.iter().enumerate() {
        let repo = (90_000 + r as u64, *name);
        // The first three developers of each repository maintain it.
        let maintainer = |rng: &mut Rng| (r * 3 + rng.below(3) as usize) % DEVELOPERS.len();
        let (mut issues, mut pulls): (Vec<Item>, Vec<Item>) = (Vec::new(), Vec::new());
        let mut number = 0;
        let mut starred = vec![false; people.len()];
        for day in 0..DAYS {
            let t = |rng: &mut Rng| start + day * 86_400 + rng.below(86_400) as i64;
            for _ in 0..rng.below(u64::from(*busy) * 2 + 1) {
                let who = skewed(&mut rng, DEVELOPERS.len());
                let commits = 1 + rng.below(4);
                let list = vec!["{}"; commits as usize].join(",");
                let payload = format!(
                    r#"{{"push_id":{},"size":{commits},"distinct_size":{commits},"ref":"refs/heads/main","commits":[{list}]}}"#,
                    w.next_id
                );
                w.event("PushEvent", people[who], repo, &payload, t(&mut rng));
            }
            if chance(&mut rng, u64::from(*busy) * 6) {
                number += 1;
                let who = skewed(&mut rng, DEVELOPERS.len());
                let at = t(&mut rng);
                let payload = format!(
                    r#"{{"action":"opened","issue":{{"number":{number},"user":{{"id":{},"login":"{}"}}}}}}"#,
                    people[who].0, people[who].1
                );
                w.event("IssuesEvent", people[who], repo, &payload, at);
                issues.push(Item {
                    number,
                    author: who,
                    opened: at,
                });
            }
            if chance(&mut rng, u64::from(*busy) * 7) {
                number += 1;
                let who = if chance(&mut rng, 15) {
                    bots.start + rng.below(bots.len() as u64) as usize
                } else {
                    skewed(&mut rng, DEVELOPERS.len())
                };
                let at = t(&mut rng);
                let payload = format!(
                    r#"{{"action":"opened","number":{number},"pull_request":{{"number":{number},"user":{{"id":{},"login":"{}"}}}}}}"#,
                    people[who].0, people[who].1
                );
                w.event("PullRequestEvent", people[who], repo, &payload, at);
                pulls.push(Item {
                    number,
                    author: who,
                    opened: at,
                });
            }
            // Answers and decisions come a few days later.
            let due = start + day * 86_400;
            for item in ready(&mut issues, due, &mut rng, 35) {
                let by = maintainer(&mut rng);
                let at = due + rng.below(86_400) as i64;
                let author = people[item.author];
                let comment = format!(
                    r#"{{"action":"created","issue":{{"number":{},"user":{{"id":{},"login":"{}"}}}},"comment":{{"id":{}}}}}"#,
                    item.number, author.0, author.1, w.next_id
                );
                w.event("IssueCommentEvent", people[by], repo, &comment, at);
                if chance(&mut rng, 70) {
                    let closed = format!(
                        r#"{{"action":"closed","issue":{{"number":{}}}}}"#,
                        item.number
                    );
                    w.event("IssuesEvent", people[by], repo, &closed, at + 600);
                } else {
                    issues.push(item);
                }
            }
            for item in ready(&mut pulls, due, &mut rng, 45) {
                let by = maintainer(&mut rng);
                let at = due + rng.below(86_400) as i64;
                let author = people[item.author];
                let review = format!(
                    r#"{{"action":"created","pull_request":{{"number":{},"user":{{"id":{},"login":"{}"}}}},"review":{{"state":"approved"}}}}"#,
                    item.number, author.0, author.1
                );
                w.event("PullRequestReviewEvent", people[by], repo, &review, at);
                let merged = chance(&mut rng, 80);
                let closed = format!(
                    r#"{{"action":"closed","number":{},"pull_request":{{"number":{},"user":{{"id":{},"login":"{}"}},"merged":{merged}}}}}"#,
                    item.number, item.number, author.0, author.1
                );
                w.event("PullRequestEvent", people[by], repo, &closed, at + 900);
            }
            // Stars and forks from people who know the project.
            if chance(&mut rng, u64::from(*busy) * 5) {
                let who = rng.below(DEVELOPERS.len() as u64) as usize;
                if !starred[who] {
                    starred[who] = true;
                    w.event(
                        "WatchEvent",
                        people[who],
                        repo,
                        r#"{"action":"started"}"#,
                        t(&mut rng),
                    );
                }
            }
            if chance(&mut rng, u64::from(*busy) * 2) {
                let who = skewed(&mut rng, DEVELOPERS.len());
                w.event("ForkEvent", people[who], repo, "{}", t(&mut rng));
            }
            // Ten days before the end, a ring of new accounts stars one
            // repository within a few days, and does nothing else.
            if r == RING_TARGET && day == DAYS - 10 {
                for k in 0..RING {
                    let login = format!("star-{:04x}-{k}", 0xbeef + k * 7);
                    let at = t(&mut rng) + rng.below(4 * 86_400) as i64;
                    w.event(
                        "WatchEvent",
                        (7_000_000 + k, &login),
                        repo,
                        r#"{"action":"started"}"#,
                        at,
                    );
                }
            }
        }
    }
    // Oldest first, as GH Archive's hourly files are.
    w.out.sort_by_key(|(at, _)| *at);
    let mut out = String::new();
    for (_, line) in w.out {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The items at least a day old that get a decision today (`percent` of
/// them), taken out of `open`.
fn ready(open: &mut Vec<Item>, due: i64, rng: &mut Rng, percent: u64) -> Vec<Item> {
    let (mut taken, mut kept) = (Vec::new(), Vec::new());
    for item in open.drain(..) {
        if item.opened + 86_400 <= due && chance(rng, percent) {
            taken.push(item);
        } else {
            kept.push(item);
        }
    }
    *open = kept;
    taken
}

#[cfg(test)]
mod tests {
    use super::*;
    use guildhall_analytics::event::{parse_line, Kind};

    #[test]
    fn every_line_is_an_event_the_importer_reads() {
        let now = 1_795_000_000;
        let text = demo_events(now);
        assert_eq!(text, demo_events(now), "seeded: the same every time");
        let events: Vec<_> = text
            .lines()
            .map(|l| parse_line(l.as_bytes()).unwrap().unwrap())
            .collect();
        assert!(events.len() > 1_000, "{}", events.len());
        assert!(
            events.windows(2).all(|w| w[0].at <= w[1].at),
            "oldest first"
        );
        assert!(events
            .iter()
            .all(|e| e.at <= now + 5 * 86_400 && e.at >= now - DAYS * 86_400));
        let count = |f: &dyn Fn(&Kind) -> bool| events.iter().filter(|e| f(&e.kind)).count();
        assert!(count(&|k| matches!(k, Kind::Push { .. })) > 300);
        assert!(
            count(&|k| matches!(
                k,
                Kind::PullClosed {
                    merged: Some(true),
                    ..
                }
            )) > 30
        );
        assert!(count(&|k| matches!(k, Kind::IssueClosed { .. })) > 20);
        assert!(count(&|k| matches!(k, Kind::PullReview { .. })) > 30);
        let ring = events
            .iter()
            .filter(|e| e.actor.name.starts_with("star-"))
            .collect::<Vec<_>>();
        assert_eq!(ring.len() as u64, RING);
        assert!(ring
            .iter()
            .all(|e| e.kind == Kind::Star && e.repo.name == REPOS[RING_TARGET].0));
    }
}
