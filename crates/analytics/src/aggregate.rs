//! Events reduced to compact aggregates: per month, repository and
//! developer, the counts the metrics are computed from; per issue and pull
//! request, its author and the times of its opening, first responses,
//! closing and merge; per developer and issue, the activity community
//! OpenRank needs; first stars with their time; actions per developer and
//! day. Aggregates of disjoint event sets merge by addition (and min/max for
//! times), so parallel workers, successive flushes and later imports all
//! combine the same way.

use crate::event::{Event, Kind, Named};
use crate::time::{civil_from_days, day_of, Month, Timestamp};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

pub type RepoId = u64;
pub type ActorId = u64;

/// What one developer did in one repository in one month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub issue_comments: u32,
    pub issues_opened: u32,
    pub issues_closed: u32,
    pub prs_opened: u32,
    pub reviews: u32,
    pub review_comments: u32,
    pub pushes: u32,
    pub commits: u32,
    pub stars: u32,
    pub forks: u32,
    pub creates: u32,
    pub releases: u32,
    pub members: u32,
    /// Events of other types or actions (still "was active here").
    pub other: u32,
}

impl Counts {
    pub fn add(&mut self, o: &Counts) {
        self.issue_comments += o.issue_comments;
        self.issues_opened += o.issues_opened;
        self.issues_closed += o.issues_closed;
        self.prs_opened += o.prs_opened;
        self.reviews += o.reviews;
        self.review_comments += o.review_comments;
        self.pushes += o.pushes;
        self.commits += o.commits;
        self.stars += o.stars;
        self.forks += o.forks;
        self.creates += o.creates;
        self.releases += o.releases;
        self.members += o.members;
        self.other += o.other;
    }

    /// The number of events these counts stand for (commits are part of
    /// pushes, not events).
    pub fn events(&self) -> u32 {
        self.fields().iter().sum::<u32>() - self.commits
    }

    /// Every field in declaration order (the storage columns).
    pub fn fields(&self) -> [u32; 14] {
        [
            self.issue_comments,
            self.issues_opened,
            self.issues_closed,
            self.prs_opened,
            self.reviews,
            self.review_comments,
            self.pushes,
            self.commits,
            self.stars,
            self.forks,
            self.creates,
            self.releases,
            self.members,
            self.other,
        ]
    }

    pub fn from_fields(f: [u32; 14]) -> Counts {
        let [issue_comments, issues_opened, issues_closed, prs_opened, reviews, review_comments, pushes, commits, stars, forks, creates, releases, members, other] =
            f;
        Counts {
            issue_comments,
            issues_opened,
            issues_closed,
            prs_opened,
            reviews,
            review_comments,
            pushes,
            commits,
            stars,
            forks,
            creates,
            releases,
            members,
            other,
        }
    }

    pub const COLUMNS: [&'static str; 14] = [
        "issue_comments",
        "issues_opened",
        "issues_closed",
        "prs_opened",
        "reviews",
        "review_comments",
        "pushes",
        "commits",
        "stars",
        "forks",
        "creates",
        "releases",
        "members",
        "other",
    ];
}

/// One issue or pull request, as far as the events seen tell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub is_pull: bool,
    pub author: Option<ActorId>,
    pub opened_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub merged_at: Option<Timestamp>,
    /// Closed by a slim event that did not say whether it merged.
    pub merge_unknown: bool,
}

fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

impl Item {
    pub fn merge(&mut self, o: &Item) {
        self.is_pull |= o.is_pull;
        self.author = self.author.or(o.author);
        self.opened_at = min_opt(self.opened_at, o.opened_at);
        // The last close wins: a reopened and closed-again item resolved then.
        self.closed_at = self.closed_at.max(o.closed_at);
        self.merged_at = min_opt(self.merged_at, o.merged_at);
        self.merge_unknown |= o.merge_unknown;
    }
}

/// A developer's part in one issue or pull request in one month: the
/// edges of community OpenRank's graph.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemActivity {
    pub opened: u32,
    pub comments: u32,
    pub reviews: u32,
    pub review_comments: u32,
    pub closed: u32,
    /// The developer's first response (comment, review) in the month; the
    /// item's first response by someone other than its author is the
    /// earliest of these over the other developers.
    pub first_response_at: Option<Timestamp>,
}

impl ItemActivity {
    pub fn add(&mut self, o: &ItemActivity) {
        self.opened += o.opened;
        self.comments += o.comments;
        self.reviews += o.reviews;
        self.review_comments += o.review_comments;
        self.closed += o.closed;
        self.first_response_at = min_opt(self.first_response_at, o.first_response_at);
    }
}

/// An account's footprint in one month: the days it was active (bit
/// `d - 1` for day `d`) and how many actions it took. One row per account
/// and month instead of one per active day; days still count exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Footsteps {
    pub days: u32,
    pub actions: u32,
}

impl Footsteps {
    /// One action at `t`.
    pub fn at(t: Timestamp) -> Footsteps {
        let (_, _, day) = civil_from_days(day_of(t));
        Footsteps::on_day(day)
    }

    /// One action on day `day` (1–31) of a month.
    pub fn on_day(day: u32) -> Footsteps {
        Footsteps {
            days: 1 << (day - 1),
            actions: 1,
        }
    }

    pub fn add(&mut self, o: &Footsteps) {
        self.days |= o.days;
        self.actions += o.actions;
    }

    pub fn active_days(&self) -> u32 {
        self.days.count_ones()
    }
}

/// Counts of what an import saw, for its report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub events: u64,
    pub by_type: std::collections::BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
pub struct Aggregate {
    pub monthly: FxHashMap<(Month, RepoId, ActorId), Counts>,
    pub items: FxHashMap<(RepoId, u64), Item>,
    pub item_activity: FxHashMap<(Month, RepoId, u64, ActorId), ItemActivity>,
    /// First star per repository and account.
    pub stars: FxHashMap<(RepoId, ActorId), Timestamp>,
    /// Per account and month, the days it was active and its actions.
    pub actor_months: FxHashMap<(ActorId, Month), Footsteps>,
    /// Latest name seen for each repository and account, with its time.
    pub repo_names: FxHashMap<RepoId, Latest>,
    pub actor_names: FxHashMap<ActorId, Latest>,
    pub events: u64,
}

/// The latest name of a repository or account, and when it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    pub name: String,
    pub at: Timestamp,
    /// A hash of `name`: nearly every event repeats the name already kept,
    /// and comparing hashes spares reading the kept string (a cache miss
    /// on every event of an import).
    hash: u64,
}

fn name_hash(name: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(name)
}

fn name_seen(map: &mut FxHashMap<u64, Latest>, n: &Named, at: Timestamp) {
    match map.get_mut(&n.id) {
        Some(e) if e.at >= at => {}
        Some(e) => {
            let hash = name_hash(&n.name);
            // Equal hashes count as the same name: two names of one
            // account colliding in 64 bits would keep the older one shown.
            if e.hash != hash {
                e.name.clone_from(&n.name);
                e.hash = hash;
            }
            e.at = at;
        }
        None => {
            let latest = Latest {
                name: n.name.clone(),
                at,
                hash: name_hash(&n.name),
            };
            map.insert(n.id, latest);
        }
    }
}

impl Aggregate {
    /// Empties the aggregate but keeps its tables' room, so the next one
    /// fills memory already mapped instead of faulting fresh pages in.
    pub fn clear(&mut self) {
        self.monthly.clear();
        self.items.clear();
        self.item_activity.clear();
        self.stars.clear();
        self.actor_months.clear();
        self.repo_names.clear();
        self.actor_names.clear();
        self.events = 0;
    }

    /// An empty aggregate with room for as many entries as this one holds:
    /// the next one fills to about the same size, and growing a table
    /// step by step copies it each time into fresh pages the kernel must
    /// clear (a tenth of the aggregating thread's time).
    pub fn with_room_of(&self) -> Aggregate {
        fn room<K, V>(m: &FxHashMap<K, V>) -> FxHashMap<K, V> {
            FxHashMap::with_capacity_and_hasher(m.len(), Default::default())
        }
        Aggregate {
            monthly: room(&self.monthly),
            items: room(&self.items),
            item_activity: room(&self.item_activity),
            stars: room(&self.stars),
            actor_months: room(&self.actor_months),
            repo_names: room(&self.repo_names),
            actor_names: room(&self.actor_names),
            events: 0,
        }
    }

    /// Rough number of entries held, to decide when to flush.
    pub fn size(&self) -> usize {
        self.monthly.len()
            + self.items.len()
            + self.item_activity.len()
            + self.stars.len()
            + self.actor_months.len()
    }

    pub fn add(&mut self, e: &Event) {
        self.events += 1;
        // One calendar conversion for the month and the day.
        let (year, month_no, day) = civil_from_days(day_of(e.at));
        let month = Month::new(year, month_no);
        let (repo, actor) = (e.repo.id, e.actor.id);
        name_seen(&mut self.repo_names, &e.repo, e.at);
        name_seen(&mut self.actor_names, &e.actor, e.at);
        self.actor_months
            .entry((actor, month))
            .or_default()
            .add(&Footsteps::on_day(day));
        let mut c = Counts::default();
        let mut act = ItemActivity::default();
        let mut item = Item::default();
        match &e.kind {
            Kind::IssueOpened { .. } | Kind::PullOpened { .. } => {
                item.author = Some(actor);
                item.opened_at = Some(e.at);
                act.opened = 1;
                if matches!(e.kind, Kind::IssueOpened { .. }) {
                    c.issues_opened = 1;
                } else {
                    c.prs_opened = 1;
                }
            }
            Kind::IssueClosed { .. } => {
                c.issues_closed = 1;
                item.closed_at = Some(e.at);
                act.closed = 1;
            }
            Kind::IssueReopened { .. } | Kind::PullReopened { .. } => c.other = 1,
            Kind::IssueComment { item_author, .. } => {
                c.issue_comments = 1;
                item.author = *item_author;
                act.first_response_at = Some(e.at);
                act.comments = 1;
            }
            // Merges are credited to the author from the item records when
            // metrics are computed: a slim event does not name the author,
            // the event that opened the pull request (maybe in another file)
            // does.
            Kind::PullClosed { merged, author, .. } => {
                item.closed_at = Some(e.at);
                act.closed = 1;
                c.other = 1;
                match merged {
                    Some(true) => item.merged_at = Some(e.at),
                    Some(false) => {}
                    None => item.merge_unknown = true,
                }
                if let Some(a) = author {
                    item.author = Some(a.id);
                    name_seen(&mut self.actor_names, a, e.at);
                }
            }
            Kind::PullReview { item_author, .. } => {
                c.reviews = 1;
                item.author = *item_author;
                act.first_response_at = Some(e.at);
                act.reviews = 1;
            }
            Kind::PullReviewComment { item_author, .. } => {
                c.review_comments = 1;
                item.author = *item_author;
                act.first_response_at = Some(e.at);
                act.review_comments = 1;
            }
            Kind::Push { commits } => {
                c.pushes = 1;
                c.commits = *commits;
            }
            Kind::Star => {
                c.stars = 1;
                self.stars
                    .entry((repo, actor))
                    .and_modify(|t| *t = (*t).min(e.at))
                    .or_insert(e.at);
            }
            Kind::Fork => c.forks = 1,
            Kind::Create => c.creates = 1,
            Kind::Release => c.releases = 1,
            Kind::Member => c.members = 1,
            Kind::Other => c.other = 1,
        }
        self.monthly
            .entry((month, repo, actor))
            .or_default()
            .add(&c);
        if let Some((number, is_pull)) = e.kind.item() {
            item.is_pull = is_pull;
            self.items.entry((repo, number)).or_default().merge(&item);
            self.item_activity
                .entry((month, repo, number, actor))
                .or_default()
                .add(&act);
        }
    }

    /// Folds another aggregate of a disjoint set of events into this one.
    pub fn merge(&mut self, o: Aggregate) {
        for (k, v) in o.monthly {
            self.monthly.entry(k).or_default().add(&v);
        }
        for (k, v) in o.items {
            self.items.entry(k).or_default().merge(&v);
        }
        for (k, v) in o.item_activity {
            self.item_activity.entry(k).or_default().add(&v);
        }
        for (k, t) in o.stars {
            self.stars
                .entry(k)
                .and_modify(|x| *x = (*x).min(t))
                .or_insert(t);
        }
        for (k, f) in o.actor_months {
            self.actor_months.entry(k).or_default().add(&f);
        }
        for (id, l) in o.repo_names {
            name_seen(&mut self.repo_names, &Named { id, name: l.name }, l.at);
        }
        for (id, l) in o.actor_names {
            name_seen(&mut self.actor_names, &Named { id, name: l.name }, l.at);
        }
        self.events += o.events;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_timestamp;

    #[test]
    fn footsteps_count_days_exactly() {
        let t = |s: &str| parse_timestamp(s).unwrap();
        let mut f = Footsteps::default();
        for s in [
            "2026-10-01T00:00:00Z",
            "2026-10-01T23:59:59Z",
            "2026-10-02T08:00:00Z",
            "2026-10-31T12:00:00Z",
        ] {
            f.add(&Footsteps::at(t(s)));
        }
        // Days 1, 2 and 31: bits 0, 1 and 30.
        assert_eq!(f.days, 1 | 2 | 1 << 30);
        assert_eq!((f.active_days(), f.actions), (3, 4));
    }
}
