//! One GH Archive event (one JSON object per line) reduced to what the
//! metrics need. Both schemas are read: the full payloads GH Archive has
//! carried since 2015, and the slimmer ones GitHub's event API has sent
//! since 2025 (a PushEvent without its commit list, a PullRequestEvent
//! whose `pull_request` holds little more than its number — no author, no
//! `merged` flag). What a slim event does not say is left unknown
//! (`None`), never guessed: the importer fills a merged pull request's
//! author from the event that opened it.

use crate::scan::{Scan, ScanResult};
use crate::time::{parse_timestamp, Timestamp};
use std::borrow::Cow;

/// A GitHub account or repository as an event names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: u64,
    pub at: Timestamp,
    pub actor: Named,
    pub repo: Named,
    pub kind: Kind,
}

impl Event {
    /// A slot for [`parse_line_into`].
    pub fn blank() -> Event {
        let nobody = || Named {
            id: 0,
            name: String::new(),
        };
        Event {
            id: 0,
            at: 0,
            actor: nobody(),
            repo: nobody(),
            kind: Kind::Other,
        }
    }
}

/// What happened, for the event types that matter to the metrics.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    IssueOpened {
        number: u64,
    },
    IssueClosed {
        number: u64,
    },
    IssueReopened {
        number: u64,
    },
    /// A comment on an issue or on a pull request's conversation.
    IssueComment {
        number: u64,
        on_pull: bool,
        item_author: Option<u64>,
    },
    PullOpened {
        number: u64,
    },
    /// `merged` is `None` when a slim payload does not say; `author` is the
    /// pull request's author when the payload names it.
    PullClosed {
        number: u64,
        merged: Option<bool>,
        author: Option<Named>,
    },
    PullReopened {
        number: u64,
    },
    PullReview {
        number: u64,
        item_author: Option<u64>,
    },
    PullReviewComment {
        number: u64,
        item_author: Option<u64>,
    },
    Push {
        commits: u32,
    },
    Star,
    Fork,
    Create,
    Release,
    Member,
    /// A type or action the metrics do not use (edits, labels, deletions…).
    Other,
}

impl Kind {
    /// A short name for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::IssueOpened { .. } => "issue_opened",
            Kind::IssueClosed { .. } => "issue_closed",
            Kind::IssueReopened { .. } => "issue_reopened",
            Kind::IssueComment { .. } => "issue_comment",
            Kind::PullOpened { .. } => "pull_opened",
            Kind::PullClosed {
                merged: Some(true), ..
            } => "pull_merged",
            Kind::PullClosed {
                merged: Some(false),
                ..
            } => "pull_declined",
            Kind::PullClosed { merged: None, .. } => "pull_closed",
            Kind::PullReopened { .. } => "pull_reopened",
            Kind::PullReview { .. } => "pull_review",
            Kind::PullReviewComment { .. } => "review_comment",
            Kind::Push { .. } => "push",
            Kind::Star => "star",
            Kind::Fork => "fork",
            Kind::Create => "create",
            Kind::Release => "release",
            Kind::Member => "member",
            Kind::Other => "other",
        }
    }

    /// The issue or pull request the event is about.
    pub fn item(&self) -> Option<(u64, bool)> {
        match *self {
            Kind::IssueOpened { number }
            | Kind::IssueClosed { number }
            | Kind::IssueReopened { number } => Some((number, false)),
            Kind::IssueComment {
                number, on_pull, ..
            } => Some((number, on_pull)),
            Kind::PullOpened { number }
            | Kind::PullClosed { number, .. }
            | Kind::PullReopened { number }
            | Kind::PullReview { number, .. }
            | Kind::PullReviewComment { number, .. } => Some((number, true)),
            _ => None,
        }
    }
}

/// Why a line was not read as an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error("not a JSON object: {0}")]
    Json(String),
    #[error("missing or invalid {0}")]
    Field(&'static str),
}

#[derive(Default)]
struct RawAccount<'a> {
    id: Option<u64>,
    login: Option<Cow<'a, str>>,
}

#[derive(Default)]
struct RawItem<'a> {
    number: Option<u64>,
    user: Option<RawAccount<'a>>,
    /// Present (an object) on issues that are pull requests.
    pull_request: bool,
    merged: Option<bool>,
    merged_at: Option<Cow<'a, str>>,
}

#[derive(Default)]
struct RawPayload<'a> {
    action: Option<Cow<'a, str>>,
    number: Option<u64>,
    issue: Option<RawItem<'a>>,
    pull_request: Option<RawItem<'a>>,
    /// Commits in a push (full schema); `distinct_size` counts the new ones.
    distinct_size: Option<u32>,
    size: Option<u32>,
}

#[derive(Default)]
struct RawEvent<'a> {
    id: Option<u64>,
    kind: Option<Cow<'a, str>>,
    actor: Option<RawAccount<'a>>,
    repo: Option<RawAccount<'a>>,
    payload: RawPayload<'a>,
    created_at: Option<Cow<'a, str>>,
}

/// `{"id": …, "login" or "name": …}`; `null` or another type reads as absent.
fn account<'a>(sc: &mut Scan<'a>) -> ScanResult<Option<RawAccount<'a>>> {
    if !sc.is_object() {
        sc.skip()?;
        return Ok(None);
    }
    let mut a = RawAccount::default();
    sc.object(|sc, k| {
        match k {
            b"id" => a.id = sc.u64()?,
            b"login" | b"name" => a.login = sc.string()?,
            _ => sc.skip()?,
        }
        Ok(())
    })?;
    Ok(Some(a))
}

/// An issue or pull request inside a payload.
fn item<'a>(sc: &mut Scan<'a>) -> ScanResult<Option<RawItem<'a>>> {
    if !sc.is_object() {
        sc.skip()?;
        return Ok(None);
    }
    let mut i = RawItem::default();
    sc.object(|sc, k| {
        match k {
            b"number" => i.number = sc.u64()?,
            b"user" => i.user = account(sc)?,
            b"pull_request" => {
                i.pull_request = !sc.null();
                if i.pull_request {
                    sc.skip()?;
                }
            }
            b"merged" => i.merged = sc.bool()?,
            b"merged_at" => i.merged_at = sc.string()?,
            _ => sc.skip()?,
        }
        Ok(())
    })?;
    Ok(Some(i))
}

fn payload<'a>(sc: &mut Scan<'a>) -> ScanResult<RawPayload<'a>> {
    let mut p = RawPayload::default();
    let small = |n: Option<u64>| n.and_then(|n| u32::try_from(n).ok());
    sc.object(|sc, k| {
        match k {
            b"action" => p.action = sc.string()?,
            b"number" => p.number = sc.u64()?,
            b"issue" => p.issue = item(sc)?,
            b"pull_request" => p.pull_request = item(sc)?,
            b"distinct_size" => p.distinct_size = small(sc.u64()?),
            b"size" => p.size = small(sc.u64()?),
            _ => sc.skip()?,
        }
        Ok(())
    })?;
    Ok(p)
}

/// The fields of a line the metrics use; the rest is stepped over.
fn scan_event(line: &[u8]) -> ScanResult<RawEvent<'_>> {
    let mut sc = Scan::new(line);
    if !sc.is_object() {
        return Err("a line must hold one JSON object".into());
    }
    let mut e = RawEvent::default();
    sc.object(|sc, k| {
        match k {
            b"id" => e.id = sc.u64_or_string()?,
            b"type" => e.kind = sc.string()?,
            b"actor" => e.actor = account(sc)?,
            b"repo" => e.repo = account(sc)?,
            b"payload" => e.payload = payload(sc)?,
            b"created_at" => e.created_at = sc.string()?,
            _ => sc.skip()?,
        }
        Ok(())
    })?;
    sc.end()?;
    Ok(e)
}

fn number(p: &RawPayload, item: Option<&RawItem>) -> Result<u64, LineError> {
    item.and_then(|i| i.number)
        .or(p.number)
        .ok_or(LineError::Field("payload number"))
}

/// Parses one line. Blank lines are `Ok(None)`.
pub fn parse_line(line: &[u8]) -> Result<Option<Event>, LineError> {
    let mut e = Event::blank();
    Ok(parse_line_into(line, &mut e)?.then_some(e))
}

/// Parses one line into `slot`, reusing its names' memory (an import
/// parses millions of lines into the same few thousand slots); false for a
/// blank line. On an error the slot holds anything.
pub fn parse_line_into(line: &[u8], slot: &mut Event) -> Result<bool, LineError> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(false);
    }
    let raw = scan_event(line).map_err(LineError::Json)?;
    let id = raw.id.ok_or(LineError::Field("id"))?;
    let at = raw
        .created_at
        .as_deref()
        .and_then(parse_timestamp)
        .ok_or(LineError::Field("created_at"))?;
    let named = |a: Option<RawAccount<'_>>, slot: &mut Named, what| {
        let (id, name) = a
            .and_then(|a| Some((a.id?, a.login?)))
            .ok_or(LineError::Field(what))?;
        slot.id = id;
        slot.name.clear();
        slot.name.push_str(&name);
        Ok::<_, LineError>(())
    };
    named(raw.actor, &mut slot.actor, "actor")?;
    named(raw.repo, &mut slot.repo, "repo")?;
    let kind = raw.kind.ok_or(LineError::Field("type"))?;
    let p = raw.payload;
    let action = p.action.as_deref().unwrap_or("");
    let author = |i: Option<&RawItem>| i.and_then(|i| i.user.as_ref()).and_then(|u| u.id);
    let kind = match &*kind {
        "IssuesEvent" => {
            let number = number(&p, p.issue.as_ref())?;
            match action {
                "opened" => Kind::IssueOpened { number },
                "closed" => Kind::IssueClosed { number },
                "reopened" => Kind::IssueReopened { number },
                _ => Kind::Other,
            }
        }
        "IssueCommentEvent" if action == "created" || action.is_empty() => {
            let issue = p.issue.as_ref();
            Kind::IssueComment {
                number: number(&p, issue)?,
                on_pull: issue.is_some_and(|i| i.pull_request),
                item_author: author(issue),
            }
        }
        "PullRequestEvent" => {
            let pr = p.pull_request.as_ref();
            let number = number(&p, pr)?;
            match action {
                "opened" => Kind::PullOpened { number },
                "reopened" => Kind::PullReopened { number },
                // GitHub's slim payloads may report a merge as its own action.
                "closed" | "merged" => {
                    let merged = if action == "merged" {
                        Some(true)
                    } else {
                        pr.and_then(|pr| match (pr.merged, pr.merged_at.as_deref()) {
                            (Some(m), _) => Some(m),
                            (None, Some(_)) => Some(true),
                            (None, None) => None,
                        })
                    };
                    let author = pr.and_then(|pr| pr.user.as_ref()).and_then(|u| {
                        Some(Named {
                            id: u.id?,
                            name: u.login.as_deref()?.to_owned(),
                        })
                    });
                    Kind::PullClosed {
                        number,
                        merged,
                        author,
                    }
                }
                _ => Kind::Other,
            }
        }
        "PullRequestReviewEvent" => {
            let pr = p.pull_request.as_ref();
            Kind::PullReview {
                number: number(&p, pr)?,
                item_author: author(pr),
            }
        }
        "PullRequestReviewCommentEvent" if action == "created" || action.is_empty() => {
            let pr = p.pull_request.as_ref();
            Kind::PullReviewComment {
                number: number(&p, pr)?,
                item_author: author(pr),
            }
        }
        // The slim schema drops the commit list: a push then counts as one.
        "PushEvent" => Kind::Push {
            commits: p.distinct_size.or(p.size).unwrap_or(1),
        },
        "WatchEvent" => Kind::Star,
        "ForkEvent" => Kind::Fork,
        "CreateEvent" => Kind::Create,
        "ReleaseEvent" if action == "published" || action.is_empty() => Kind::Release,
        "MemberEvent" if action == "added" || action.is_empty() => Kind::Member,
        _ => Kind::Other,
    };
    slot.id = id;
    slot.at = at;
    slot.kind = kind;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Event {
        parse_line(s.as_bytes()).unwrap().unwrap()
    }

    /// Shapes as GH Archive carried them before 2025 (trimmed).
    #[test]
    fn full_schema() {
        let e = parse(
            r#"{"id":"2489651045","type":"PullRequestEvent","actor":{"id":665991,"login":"petroav","display_login":"petroav"},"repo":{"id":28688495,"name":"petroav/6.828"},"payload":{"action":"closed","number":2,"pull_request":{"url":"x","id":1,"number":2,"state":"closed","user":{"login":"octo","id":583231},"body":"a \"quoted\" body","merged":true,"merged_at":"2015-01-01T15:00:00Z"}},"public":true,"created_at":"2015-01-01T15:00:01Z","org":{"id":1,"login":"o"}}"#,
        );
        assert_eq!(e.id, 2_489_651_045);
        assert_eq!(
            (e.actor.id, e.repo.name.as_str()),
            (665_991, "petroav/6.828")
        );
        assert_eq!(
            e.kind,
            Kind::PullClosed {
                number: 2,
                merged: Some(true),
                author: Some(Named {
                    id: 583_231,
                    name: "octo".into()
                })
            }
        );
        let e = parse(
            r#"{"id":"1","type":"IssueCommentEvent","actor":{"id":2,"login":"b"},"repo":{"id":3,"name":"o/r"},"payload":{"action":"created","issue":{"number":7,"user":{"login":"a","id":1},"pull_request":{"url":"u"}},"comment":{"id":5,"body":"hi"}},"created_at":"2015-01-01T15:00:01Z"}"#,
        );
        assert_eq!(
            e.kind,
            Kind::IssueComment {
                number: 7,
                on_pull: true,
                item_author: Some(1)
            }
        );
        let e = parse(
            r#"{"id":"1","type":"PushEvent","actor":{"id":2,"login":"b"},"repo":{"id":3,"name":"o/r"},"payload":{"push_id":1,"size":3,"distinct_size":2,"commits":[{},{},{}]},"created_at":"2015-01-01T15:00:01Z"}"#,
        );
        assert_eq!(e.kind, Kind::Push { commits: 2 });
    }

    /// The 2025 payloads: no commit list, a pull request without author or
    /// merge flag.
    #[test]
    fn slim_schema() {
        let e = parse(
            r#"{"id":"52000000001","type":"PushEvent","actor":{"id":2,"login":"b"},"repo":{"id":3,"name":"o/r"},"payload":{"repository_id":3,"push_id":9,"ref":"refs/heads/main","head":"a","before":"b"},"created_at":"2025-11-01T00:00:00Z"}"#,
        );
        assert_eq!(e.kind, Kind::Push { commits: 1 });
        let e = parse(
            r#"{"id":"52000000002","type":"PullRequestEvent","actor":{"id":2,"login":"b"},"repo":{"id":3,"name":"o/r"},"payload":{"action":"closed","number":4,"pull_request":{"id":1,"number":4,"head":{"ref":"x"},"base":{"ref":"main"}}},"created_at":"2025-11-01T00:00:00Z"}"#,
        );
        assert_eq!(
            e.kind,
            Kind::PullClosed {
                number: 4,
                merged: None,
                author: None
            }
        );
        let e = parse(
            r#"{"id":52000000003,"type":"PullRequestEvent","actor":{"id":2,"login":"b"},"repo":{"id":3,"name":"o/r"},"payload":{"action":"merged","number":4,"pull_request":{"number":4}},"created_at":"2025-11-01T00:00:00Z"}"#,
        );
        assert_eq!(
            (e.id, e.kind),
            (
                52_000_000_003,
                Kind::PullClosed {
                    number: 4,
                    merged: Some(true),
                    author: None
                }
            )
        );
    }

    /// The scanner steps over payloads without building them; a line cut
    /// anywhere is still refused, and no byte changed anywhere panics.
    #[test]
    fn cut_and_garbled_lines() {
        let line = br#"{"id":"2489651045","type":"PullRequestEvent","actor":{"id":665991,"login":"petroav"},"repo":{"id":28688495,"name":"petroav/6.828"},"payload":{"action":"closed","number":2,"pull_request":{"body":"a \"quoted\" {body} [x]","labels":[{"n":1},{"n":[2,null]}],"user":{"login":"octo","id":583231},"merged":true}},"public":true,"created_at":"2015-01-01T15:00:01Z"}"#;
        assert!(parse_line(line).unwrap().is_some());
        for cut in 1..line.len() {
            assert!(
                parse_line(&line[..cut]).is_err(),
                "accepted a line cut at {cut}"
            );
        }
        for at in 0..line.len() {
            for b in [b'"', b'{', b'}', b'[', b']', b'\\', b',', b':', 0xff, b'x'] {
                let mut l = line.to_vec();
                l[at] = b;
                let _ = parse_line(&l);
            }
        }
    }

    #[test]
    fn bad_lines() {
        assert!(parse_line(b"   ").unwrap().is_none());
        assert!(matches!(parse_line(b"{"), Err(LineError::Json(_))));
        assert!(matches!(parse_line(b"[1,2]"), Err(LineError::Json(_))));
        assert_eq!(
            parse_line(br#"{"type":"WatchEvent"}"#),
            Err(LineError::Field("id"))
        );
        assert_eq!(
            parse_line(br#"{"id":"1","type":"WatchEvent","actor":{"id":1,"login":"a"},"repo":{"id":1,"name":"o/r"},"created_at":"yesterday"}"#),
            Err(LineError::Field("created_at"))
        );
        assert_eq!(
            parse_line(br#"{"id":"1","type":"IssuesEvent","actor":{"id":1,"login":"a"},"repo":{"id":1,"name":"o/r"},"payload":{"action":"opened"},"created_at":"2020-01-01T00:00:00Z"}"#),
            Err(LineError::Field("payload number"))
        );
        // Unknown types are kept as "other", not refused.
        let e = parse(
            r#"{"id":"1","type":"GollumEvent","actor":{"id":1,"login":"a"},"repo":{"id":1,"name":"o/r"},"payload":{"pages":[]},"created_at":"2020-01-01T00:00:00Z"}"#,
        );
        assert_eq!(e.kind, Kind::Other);
    }
}
