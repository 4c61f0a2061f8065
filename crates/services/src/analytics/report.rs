//! Reading the computed metrics back: a repository's report (periods,
//! developers, bots, vanity metrics), a developer's report, and the
//! overview ranking. The CLI, the pages and the JSON API all use these.

use crate::{App, Result};
use guildhall_analytics::activity::activity;
use guildhall_analytics::time::Month;
use guildhall_analytics::vanity::{diverges, low_activity, Reason};
use guildhall_storage::analytics::RankOrder;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::collections::BTreeMap;

/// How report rows group months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Month,
    Quarter,
    Year,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "month" => Some(Period::Month),
            "quarter" => Some(Period::Quarter),
            "year" => Some(Period::Year),
            _ => None,
        }
    }
    /// The label of the period a month falls in (`2026-03`, `2026Q1`, `2026`).
    pub fn label(self, m: Month) -> String {
        match self {
            Period::Month => m.label(),
            Period::Quarter => format!("{}Q{}", m.year(), m.quarter()),
            Period::Year => m.year().to_string(),
        }
    }
    /// The last month of the period a month falls in.
    pub fn last_month(self, m: Month) -> Month {
        match self {
            Period::Month => m,
            Period::Quarter => Month::new(m.year(), m.quarter() * 3),
            Period::Year => Month::new(m.year(), 12),
        }
    }
}

/// The row of the period `m` falls in, created on first use.
fn row<'a>(
    rows: &'a mut BTreeMap<String, PeriodRow>,
    last_of: &mut BTreeMap<String, Month>,
    period: Period,
    m: Month,
) -> &'a mut PeriodRow {
    let label = period.label(m);
    last_of.entry(label.clone()).or_insert(period.last_month(m));
    rows.entry(label.clone()).or_insert_with(|| PeriodRow {
        period: label,
        ..PeriodRow::default()
    })
}

/// One period of a repository's report.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PeriodRow {
    pub period: String,
    pub activity: f64,
    pub openrank: f64,
    pub participants: usize,
    pub stars: u64,
    /// Of `stars`, those given by suspected accounts (see `Vanity`).
    pub stars_suspected: u64,
    pub forks: u64,
    pub attention: f64,
    pub new_contributors: usize,
    pub inactive_contributors: usize,
    pub bus_factor: usize,
    pub issues_opened: u64,
    pub issues_closed: u64,
    pub issue_response_days: Option<f64>,
    pub issue_resolution_days: Option<f64>,
    pub prs_opened: u64,
    pub prs_merged: u64,
    pub prs_declined: u64,
    pub pr_response_days: Option<f64>,
    pub pr_resolution_days: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeveloperRow {
    pub login: String,
    pub activity: f64,
    /// Community OpenRank in this repository over the whole data.
    pub openrank: f64,
    pub prs_merged: u64,
    pub first_month: String,
    pub last_month: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RepoReport {
    pub repo: String,
    pub period: Period,
    pub rows: Vec<PeriodRow>,
    pub developers: Vec<DeveloperRow>,
    /// Bots active in the repository: (login, events).
    pub bots: Vec<(String, u64)>,
    pub vanity: Vanity,
}

/// A repository's stars split into likely real and suspected fake, with
/// the reasons, and whether attention grows without activity.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Vanity {
    /// Accounts that starred the repository in the data window.
    pub stargazers: u64,
    pub suspected: u64,
    /// The suspects, oldest star first (at most `SUSPECTS_LISTED`).
    pub suspects: Vec<Suspect>,
    /// The lockstep groups with members among the stargazers.
    pub groups: Vec<LockstepView>,
    pub divergence: Divergence,
}

/// How many suspects a report lists (the count covers them all).
pub const SUSPECTS_LISTED: usize = 1_000;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Suspect {
    pub login: String,
    pub starred_at: i64,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LockstepView {
    pub group: i64,
    pub accounts: i64,
    pub repositories: i64,
    pub from: i64,
    pub to: i64,
    /// Members of the group that starred this repository.
    pub starred_here: usize,
}

/// Attention and activity at the start and end of the data window, and
/// whether attention grew while activity stayed flat (`VanityRules`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Divergence {
    pub flagged: bool,
    pub months: usize,
    pub attention_first: f64,
    pub attention_last: f64,
    pub activity_first: f64,
    pub activity_last: f64,
}

impl App {
    /// A repository's metrics per period (see `PeriodRow`), its developers
    /// by activity, and its bots.
    pub async fn analytics_repo_report(
        &self,
        name: &str,
        period: Period,
    ) -> Result<Option<RepoReport>> {
        let rules = self.settings().analytics.clone();
        let store = &self.store;
        let Some((id, name)) = store.gh_repo_by_name(name).await? else {
            return Ok(None);
        };
        let logins: FxHashMap<i64, String> = store.gh_logins().await?.into_iter().collect();
        let is_bot = |a: i64| logins.get(&a).is_some_and(|l| rules.bots.is_bot(l));
        let now = store.gh_last_month().await?.map_or(0, |m| m.end());
        let items = store.gh_items(id).await?;
        // Merged pull requests per (month, author): activity credit and
        // first merged contribution.
        let mut merged: FxHashMap<(Month, i64), u32> = FxHashMap::default();
        let mut first_merge: FxHashMap<i64, Month> = FxHashMap::default();
        for it in &items {
            if let (Some(t), Some(a)) = (it.item.merged_at, it.item.author) {
                let m = Month::of(t);
                *merged.entry((m, a as i64)).or_default() += 1;
                let f = first_merge.entry(a as i64).or_insert(m);
                *f = (*f).min(m);
            }
        }
        let mut rows: BTreeMap<String, PeriodRow> = BTreeMap::new();
        let mut last_of: BTreeMap<String, Month> = BTreeMap::new();
        // Month by month, for the divergence flag.
        let mut monthly_attention: BTreeMap<Month, f64> = BTreeMap::new();
        let mut monthly_activity: BTreeMap<Month, f64> = BTreeMap::new();
        for r in store.gh_rank_series("repo", id).await? {
            monthly_activity.insert(r.month, r.activity);
            let p = row(&mut rows, &mut last_of, period, r.month);
            p.activity += r.activity;
            p.openrank += r.openrank.unwrap_or(0.0);
        }
        for (m, c) in store.gh_repo_monthly(id).await? {
            let p = row(&mut rows, &mut last_of, period, m);
            p.stars += u64::from(c.stars);
            p.forks += u64::from(c.forks);
            let attention = f64::from(c.stars) + rules.health.fork_weight * f64::from(c.forks);
            p.attention += attention;
            monthly_attention.insert(m, attention);
            p.issues_opened += u64::from(c.issues_opened);
            p.prs_opened += u64::from(c.prs_opened);
        }
        // Developer activity per period; contribution months per developer.
        let mut dev_period: BTreeMap<String, FxHashMap<i64, f64>> = BTreeMap::new();
        let mut contributed: FxHashMap<i64, Vec<Month>> = FxHashMap::default();
        let mut dev_total: FxHashMap<i64, (f64, u64, Month, Month)> = FxHashMap::default();
        let mut bots: BTreeMap<String, u64> = BTreeMap::new();
        let mut seen_rows: FxHashSet<(Month, i64)> = FxHashSet::default();
        let (vanity, suspects) = self.vanity(id).await?;
        for (m, a, c) in store.gh_repo_developers(id).await? {
            if c.stars > 0 && suspects.contains(&a) {
                row(&mut rows, &mut last_of, period, m).stars_suspected += u64::from(c.stars);
            }
            if is_bot(a) {
                *bots.entry(logins[&a].clone()).or_default() += u64::from(c.events());
                continue;
            }
            seen_rows.insert((m, a));
            let n = merged.get(&(m, a)).copied().unwrap_or(0);
            let act = activity(&rules.activity, &c, n);
            if act > 0.0 || c.pushes > 0 || n > 0 {
                contributed.entry(a).or_default().push(m);
            }
            if act > 0.0 {
                *dev_period
                    .entry(period.label(m))
                    .or_default()
                    .entry(a)
                    .or_default() += act;
            }
            let d = dev_total.entry(a).or_insert((0.0, 0, m, m));
            d.0 += act;
            d.1 += u64::from(n);
            d.2 = d.2.min(m);
            d.3 = d.3.max(m);
        }
        // Merges by authors with no other event that month still count.
        for (&(m, a), &n) in &merged {
            if !seen_rows.contains(&(m, a)) && !is_bot(a) {
                let act = activity(&rules.activity, &Default::default(), n);
                contributed.entry(a).or_default().push(m);
                *dev_period
                    .entry(period.label(m))
                    .or_default()
                    .entry(a)
                    .or_default() += act;
                row(&mut rows, &mut last_of, period, m);
            }
        }
        let mut response: BTreeMap<(String, bool), Vec<f64>> = BTreeMap::new();
        let mut resolution: BTreeMap<(String, bool), Vec<f64>> = BTreeMap::new();
        for it in &items {
            let is_pull = it.item.is_pull;
            if let Some(opened) = it.item.opened_at {
                let label = row(&mut rows, &mut last_of, period, Month::of(opened))
                    .period
                    .clone();
                if let Some(d) = guildhall_analytics::health::response_days(
                    opened,
                    it.first_response_at,
                    rules.health.response_cap_days,
                    now,
                ) {
                    response
                        .entry((label.clone(), is_pull))
                        .or_default()
                        .push(d);
                }
                if let Some(d) = guildhall_analytics::health::resolution_days(&it.item) {
                    resolution.entry((label, is_pull)).or_default().push(d);
                }
            }
            use guildhall_analytics::health::{pull_outcome, PullOutcome};
            if is_pull {
                match pull_outcome(&it.item) {
                    PullOutcome::Merged(t) => {
                        row(&mut rows, &mut last_of, period, Month::of(t)).prs_merged += 1
                    }
                    PullOutcome::Declined(t) => {
                        row(&mut rows, &mut last_of, period, Month::of(t)).prs_declined += 1
                    }
                    _ => {}
                }
            } else if let Some(t) = it.item.closed_at {
                row(&mut rows, &mut last_of, period, Month::of(t)).issues_closed += 1;
            }
        }
        for ((label, is_pull), mut xs) in response {
            if let Some(p) = rows.get_mut(&label) {
                let v = guildhall_analytics::health::median(&mut xs);
                if is_pull {
                    p.pr_response_days = v;
                } else {
                    p.issue_response_days = v;
                }
            }
        }
        for ((label, is_pull), mut xs) in resolution {
            if let Some(p) = rows.get_mut(&label) {
                let v = guildhall_analytics::health::median(&mut xs);
                if is_pull {
                    p.pr_resolution_days = v;
                } else {
                    p.issue_resolution_days = v;
                }
            }
        }
        for (label, devs) in &dev_period {
            if let Some(p) = rows.get_mut(label) {
                let acts: Vec<f64> = devs.values().copied().collect();
                p.participants = acts.len();
                p.bus_factor =
                    guildhall_analytics::health::bus_factor(&acts, rules.health.bus_factor_share);
            }
        }
        for (a, m) in &first_merge {
            if is_bot(*a) {
                continue;
            }
            if let Some(p) = rows.get_mut(&period.label(*m)) {
                p.new_contributors += 1;
            }
        }
        let window = rules.health.inactive_months;
        for (label, end) in &last_of {
            let inactive = contributed
                .values()
                .filter(|ms| {
                    let last = ms.iter().filter(|m| *m <= end).max();
                    last.is_some_and(|l| l.0 <= end.0 - window)
                })
                .count();
            if let Some(p) = rows.get_mut(label) {
                p.inactive_contributors = inactive;
            }
        }
        let mut community: FxHashMap<i64, f64> = FxHashMap::default();
        for (_, a, v) in store.gh_repo_community(id).await? {
            *community.entry(a).or_default() += v;
        }
        let mut developers: Vec<DeveloperRow> = dev_total
            .into_iter()
            .filter(|(_, d)| d.0 > 0.0 || d.1 > 0)
            .map(|(a, (act, prs, first, last))| DeveloperRow {
                login: logins.get(&a).cloned().unwrap_or_else(|| a.to_string()),
                activity: act,
                openrank: community.get(&a).copied().unwrap_or(0.0),
                prs_merged: prs,
                first_month: first.label(),
                last_month: last.label(),
            })
            .collect();
        developers.sort_by(|x, y| {
            y.activity
                .total_cmp(&x.activity)
                .then(x.login.cmp(&y.login))
        });
        developers.truncate(100);
        let mut bots: Vec<(String, u64)> = bots.into_iter().collect();
        bots.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for p in rows.values_mut() {
            p.stars_suspected = p.stars_suspected.min(p.stars);
        }
        let mut vanity = vanity;
        vanity.divergence = divergence(&rules.vanity, &monthly_attention, &monthly_activity);
        Ok(Some(RepoReport {
            repo: name,
            period,
            rows: rows.into_values().collect(),
            developers,
            bots,
            vanity,
        }))
    }
}

/// Attention against activity month by month, every month of the window
/// counted (a month without events is zero).
fn divergence(
    rules: &guildhall_analytics::rules::VanityRules,
    attention: &BTreeMap<Month, f64>,
    activity: &BTreeMap<Month, f64>,
) -> Divergence {
    let first = attention.keys().chain(activity.keys()).min().copied();
    let last = attention.keys().chain(activity.keys()).max().copied();
    let (Some(first), Some(last)) = (first, last) else {
        return Divergence::default();
    };
    let mut att = Vec::new();
    let mut act = Vec::new();
    let mut m = first;
    while m <= last {
        att.push(attention.get(&m).copied().unwrap_or(0.0));
        act.push(activity.get(&m).copied().unwrap_or(0.0));
        m = m.next();
    }
    Divergence {
        flagged: diverges(rules, &att, &act),
        months: att.len(),
        attention_first: att[0],
        attention_last: att[att.len() - 1],
        activity_first: act[0],
        activity_last: act[act.len() - 1],
    }
}

impl App {
    /// Who starred a repository and which of them are suspected, with
    /// the reasons; and the suspects' ids.
    async fn vanity(&self, repo: i64) -> Result<(Vanity, FxHashSet<i64>)> {
        let rules = self.settings().analytics.vanity.clone();
        let stargazers = self.store.gh_stargazers(repo).await?;
        let mut lockstep: FxHashMap<i64, Vec<Reason>> = FxHashMap::default();
        let mut groups: BTreeMap<i64, LockstepView> = BTreeMap::new();
        for (g, actor) in self.store.gh_repo_lockstep(repo).await? {
            lockstep.entry(actor).or_default().push(Reason::Lockstep {
                group: g.id as usize,
                accounts: g.accounts as usize,
                repositories: g.repositories as usize,
                from: g.from,
                to: g.to,
            });
            groups
                .entry(g.id)
                .or_insert(LockstepView {
                    group: g.id,
                    accounts: g.accounts,
                    repositories: g.repositories,
                    from: g.from,
                    to: g.to,
                    starred_here: 0,
                })
                .starred_here += 1;
        }
        let mut v = Vanity {
            stargazers: stargazers.len() as u64,
            groups: groups.into_values().collect(),
            ..Vanity::default()
        };
        let mut ids = FxHashSet::default();
        for s in stargazers {
            let mut reasons: Vec<Reason> = low_activity(&rules, &s.footprint).into_iter().collect();
            reasons.extend(lockstep.remove(&s.actor).unwrap_or_default());
            if reasons.is_empty() {
                continue;
            }
            v.suspected += 1;
            ids.insert(s.actor);
            if v.suspects.len() < SUSPECTS_LISTED {
                v.suspects.push(Suspect {
                    login: s.login,
                    starred_at: s.starred_at,
                    reasons,
                });
            }
        }
        Ok((v, ids))
    }
}

/// One period of a developer's report.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct DeveloperPeriodRow {
    pub period: String,
    pub activity: f64,
    /// Global OpenRank (summed over the period's months).
    pub openrank: f64,
    pub repositories: usize,
    pub issues_opened: u64,
    pub issue_comments: u64,
    pub prs_opened: u64,
    pub prs_merged: u64,
    pub reviews: u64,
    pub review_comments: u64,
    pub pushes: u64,
    pub stars: u64,
}

/// A developer's part in one repository over the whole data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeveloperRepoRow {
    pub repo: String,
    pub activity: f64,
    pub issues_opened: u64,
    pub issue_comments: u64,
    pub prs_opened: u64,
    pub prs_merged: u64,
    pub events: u64,
    pub first_month: String,
    pub last_month: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeveloperReport {
    pub login: String,
    /// Bots are left out of developer metrics: their rows stay empty.
    pub is_bot: bool,
    pub period: Period,
    pub rows: Vec<DeveloperPeriodRow>,
    pub repositories: Vec<DeveloperRepoRow>,
}

/// The developer row of the period `m` falls in, created on first use.
fn developer_row(
    rows: &mut BTreeMap<String, DeveloperPeriodRow>,
    period: Period,
    m: Month,
) -> &mut DeveloperPeriodRow {
    let label = period.label(m);
    rows.entry(label.clone())
        .or_insert_with(|| DeveloperPeriodRow {
            period: label,
            ..Default::default()
        })
}

/// One line of the overview ranking.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RankedRow {
    pub rank: usize,
    pub name: String,
    pub activity: f64,
    /// Developers active in a repository, or repositories a developer was
    /// active in.
    pub participants: i64,
    pub openrank: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Overview {
    /// Every ranked month, oldest first.
    pub months: Vec<String>,
    /// The month shown (the latest unless asked otherwise).
    pub month: Option<String>,
    pub order: &'static str,
    pub repositories: Vec<RankedRow>,
    pub repositories_ranked: i64,
    pub developers: Vec<RankedRow>,
    pub developers_ranked: i64,
}

/// `openrank`, `activity` or `participants`.
pub fn parse_order(s: &str) -> Option<RankOrder> {
    match s {
        "openrank" => Some(RankOrder::OpenRank),
        "activity" => Some(RankOrder::Activity),
        "participants" => Some(RankOrder::Participants),
        _ => None,
    }
}

fn order_key(o: RankOrder) -> &'static str {
    match o {
        RankOrder::OpenRank => "openrank",
        RankOrder::Activity => "activity",
        RankOrder::Participants => "participants",
    }
}

impl App {
    /// A developer's metrics per period and the repositories they were
    /// active in.
    pub async fn analytics_developer_report(
        &self,
        login: &str,
        period: Period,
    ) -> Result<Option<DeveloperReport>> {
        let rules = self.settings().analytics.clone();
        let store = &self.store;
        let Some((id, login)) = store.gh_actor_by_login(login).await? else {
            return Ok(None);
        };
        let is_bot = rules.bots.is_bot(&login);
        let mut merged: FxHashMap<(Month, i64), u32> = FxHashMap::default();
        for (repo, t) in store.gh_actor_merged(id).await? {
            *merged.entry((Month::of(t), repo)).or_default() += 1;
        }
        let mut rows: BTreeMap<String, DeveloperPeriodRow> = BTreeMap::new();
        let mut period_repos: BTreeMap<String, FxHashSet<i64>> = BTreeMap::new();
        let mut repos: FxHashMap<i64, DeveloperRepoRow> = FxHashMap::default();
        let mut months_seen: FxHashSet<(Month, i64)> = FxHashSet::default();
        let activity_rows = store.gh_actor_repos(id).await?;
        // Merges in months with no other event in the repository.
        let mut extra: Vec<(Month, i64, String, guildhall_analytics::aggregate::Counts)> =
            Vec::new();
        for (m, repo, _, _) in &activity_rows {
            months_seen.insert((*m, *repo));
        }
        for &(m, repo) in merged.keys() {
            if !months_seen.contains(&(m, repo)) {
                extra.push((m, repo, String::new(), Default::default()));
            }
        }
        let names: FxHashMap<i64, String> = activity_rows
            .iter()
            .map(|(_, r, n, _)| (*r, n.clone()))
            .collect();
        // A bot's rows stay empty: bots are left out of developer metrics.
        let counted = if is_bot {
            Vec::new()
        } else {
            activity_rows.into_iter().chain(extra).collect()
        };
        for (m, repo, name, c) in counted {
            let n = merged.get(&(m, repo)).copied().unwrap_or(0);
            let act = activity(&rules.activity, &c, n);
            let p = developer_row(&mut rows, period, m);
            p.activity += act;
            p.issues_opened += u64::from(c.issues_opened);
            p.issue_comments += u64::from(c.issue_comments);
            p.prs_opened += u64::from(c.prs_opened);
            p.prs_merged += u64::from(n);
            p.reviews += u64::from(c.reviews);
            p.review_comments += u64::from(c.review_comments);
            p.pushes += u64::from(c.pushes);
            p.stars += u64::from(c.stars);
            if act > 0.0 {
                period_repos
                    .entry(p.period.clone())
                    .or_default()
                    .insert(repo);
            }
            let name = if name.is_empty() {
                names
                    .get(&repo)
                    .cloned()
                    .unwrap_or_else(|| repo.to_string())
            } else {
                name
            };
            let r = repos.entry(repo).or_insert_with(|| DeveloperRepoRow {
                repo: name,
                activity: 0.0,
                issues_opened: 0,
                issue_comments: 0,
                prs_opened: 0,
                prs_merged: 0,
                events: 0,
                first_month: m.label(),
                last_month: m.label(),
            });
            r.activity += act;
            r.issues_opened += u64::from(c.issues_opened);
            r.issue_comments += u64::from(c.issue_comments);
            r.prs_opened += u64::from(c.prs_opened);
            r.prs_merged += u64::from(n);
            r.events += u64::from(c.events());
            r.first_month = r.first_month.clone().min(m.label());
            r.last_month = r.last_month.clone().max(m.label());
        }
        if !is_bot {
            for r in store.gh_rank_series("actor", id).await? {
                developer_row(&mut rows, period, r.month).openrank += r.openrank.unwrap_or(0.0);
            }
        }
        for (label, set) in period_repos {
            if let Some(p) = rows.get_mut(&label) {
                p.repositories = set.len();
            }
        }
        let mut repositories: Vec<DeveloperRepoRow> = repos.into_values().collect();
        repositories.sort_by(|a, b| {
            b.activity
                .total_cmp(&a.activity)
                .then(b.events.cmp(&a.events))
                .then(a.repo.cmp(&b.repo))
        });
        Ok(Some(DeveloperReport {
            login,
            is_bot,
            period,
            rows: rows.into_values().collect(),
            repositories,
        }))
    }

    /// The ranking of repositories and developers in one month (the last
    /// computed month by default), `limit` of each.
    pub async fn analytics_overview(
        &self,
        month: Option<Month>,
        order: RankOrder,
        limit: i64,
    ) -> Result<Overview> {
        let store = &self.store;
        let months = store.gh_computed_months().await?;
        let month = match month {
            Some(m) if months.contains(&m) => Some(m),
            Some(_) => None,
            None => months.last().copied(),
        };
        let mut o = Overview {
            months: months.iter().map(|m| m.label()).collect(),
            month: month.map(Month::label),
            order: order_key(order),
            repositories: Vec::new(),
            repositories_ranked: 0,
            developers: Vec::new(),
            developers_ranked: 0,
        };
        let Some(month) = month else {
            return Ok(o);
        };
        let ranked = |rows: Vec<(guildhall_storage::analytics::RankRow, String)>| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (r, name))| RankedRow {
                    rank: i + 1,
                    name,
                    activity: r.activity,
                    participants: r.participants,
                    openrank: r.openrank,
                })
                .collect::<Vec<_>>()
        };
        o.repositories = ranked(store.gh_ranking("repo", month, order, limit).await?);
        o.developers = ranked(store.gh_ranking("actor", month, order, limit).await?);
        o.repositories_ranked = store.gh_ranked("repo", month).await?;
        o.developers_ranked = store.gh_ranked("actor", month).await?;
        Ok(o)
    }
}
