//! Community analytics pages, their CSV downloads and the JSON API: the
//! overview ranking, a repository's report (with its vanity metrics) and a
//! developer's report. Every table is built once as a [`Table`] and then
//! drawn as HTML or written as CSV, so the two never disagree; charts are
//! SVG drawn on the server ([`crate::charts`]).

use crate::charts::{number, Bars, Chart, Kind, Series};
use crate::ctx::Ctx;
use crate::error::WebError;
use crate::review::render;
use crate::views::{civil, url_encode, Chrome, SortTab};

/// A day as `2026-10-01` (UTC).
fn date(ts: i64) -> String {
    let (y, m, d, ..) = civil(ts);
    format!("{y:04}-{m:02}-{d:02}")
}
use crate::Web;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use guildhall_analytics::time::Month;
use guildhall_analytics::vanity::Reason;
use guildhall_domain::DomainError;
use guildhall_i18n::{t, tf, Lang};
use guildhall_services::analytics::{
    parse_order, DeveloperReport, Overview, Period, RankedRow, RepoReport,
};
use guildhall_services::storage::analytics::RankOrder;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/analytics", get(overview_page))
        .route("/analytics/csv/{table}", get(overview_csv))
        .route("/analytics/repos/{owner}/{name}", get(repo_page))
        .route("/analytics/repos/{owner}/{name}/csv/{table}", get(repo_csv))
        .route("/analytics/developers/{login}", get(developer_page))
        .route(
            "/analytics/developers/{login}/csv/{table}",
            get(developer_csv),
        )
        .route("/static/tables.js", get(tables_js))
}

pub(crate) type PageResult = Result<Response, WebError>;

/// How many repositories and developers the overview ranks.
const OVERVIEW_ROWS: i64 = 100;

// Query parameters --------------------------------------------------------------

#[derive(serde::Deserialize, Default)]
pub struct AnalyticsQuery {
    period: Option<String>,
    month: Option<String>,
    sort: Option<String>,
    limit: Option<String>,
}

impl AnalyticsQuery {
    pub(crate) fn period(&self) -> Result<Period, DomainError> {
        match self.period.as_deref().filter(|p| !p.is_empty()) {
            None => Ok(Period::Month),
            Some(p) => Period::parse(p).ok_or(DomainError::validation("period", "unknown", None)),
        }
    }
    pub(crate) fn month(&self) -> Result<Option<Month>, DomainError> {
        match self.month.as_deref().filter(|m| !m.is_empty()) {
            None => Ok(None),
            Some(m) => {
                Month::parse(m)
                    .map(Some)
                    .ok_or(DomainError::validation("month", "malformed", None))
            }
        }
    }
    pub(crate) fn order(&self) -> Result<RankOrder, DomainError> {
        match self.sort.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(RankOrder::OpenRank),
            Some(s) => parse_order(s).ok_or(DomainError::validation("sort", "unknown", None)),
        }
    }
    pub(crate) fn limit(&self) -> Result<i64, DomainError> {
        match self.limit.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(OVERVIEW_ROWS),
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or(DomainError::validation("limit", "range", Some(1000))),
        }
    }
}

fn period_key(p: Period) -> &'static str {
    match p {
        Period::Month => "month",
        Period::Quarter => "quarter",
        Period::Year => "year",
    }
}

/// A repository's page address (`owner/name` keeps its slash).
pub fn repo_href(name: &str) -> String {
    match name.split_once('/') {
        Some((o, n)) => format!("/analytics/repos/{}/{}", url_encode(o), url_encode(n)),
        None => format!("/analytics/repos/{}/-", url_encode(name)),
    }
}

pub fn developer_href(login: &str) -> String {
    format!("/analytics/developers/{}", url_encode(login))
}

// Tables --------------------------------------------------------------------------

/// One cell: what is shown, where it links, and the value it sorts by.
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub sort: Option<f64>,
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            href: None,
            sort: None,
        }
    }
    fn link(s: impl Into<String>, href: String) -> Cell {
        Cell {
            text: s.into(),
            href: Some(href),
            sort: None,
        }
    }
    fn num(v: f64, decimals: usize) -> Cell {
        Cell {
            text: format!("{v:.decimals$}"),
            href: None,
            sort: Some(v),
        }
    }
    fn int(v: impl Into<f64> + Copy + std::fmt::Display) -> Cell {
        Cell {
            text: v.to_string(),
            href: None,
            sort: Some(v.into()),
        }
    }
    fn days(v: Option<f64>) -> Cell {
        match v {
            Some(d) => Cell::num(d, 1),
            None => Cell {
                text: "–".into(),
                href: None,
                sort: Some(-1.0),
            },
        }
    }
}

pub struct Column {
    pub label: &'static str,
    pub numeric: bool,
}

/// A table as both the page and the CSV download show it.
pub struct Table {
    /// Its name in the CSV address.
    pub id: &'static str,
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// Where its CSV is.
    pub csv: String,
    pub empty: &'static str,
}

impl Table {
    fn new(
        lang: Lang,
        id: &'static str,
        title: String,
        base: &str,
        cols: &[(&str, bool)],
    ) -> Table {
        Table {
            id,
            title,
            columns: cols
                .iter()
                .map(|(k, numeric)| Column {
                    label: t(lang, &format!("analytics.col.{k}")),
                    numeric: *numeric,
                })
                .collect(),
            rows: Vec::new(),
            csv: format!("{base}/csv/{id}"),
            empty: t(lang, "analytics.table_empty"),
        }
    }

    /// RFC 4180 CSV with the page's column names.
    pub fn csv(&self) -> String {
        fn field(out: &mut String, s: &str) {
            if s.contains([',', '"', '\n', '\r']) {
                out.push('"');
                out.push_str(&s.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(s);
            }
        }
        let mut out = String::new();
        for (i, c) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, c.label);
        }
        out.push_str("\r\n");
        for row in &self.rows {
            for (i, c) in row.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                // Empty rather than the page's dash: spreadsheets read it as
                // a missing value.
                field(&mut out, if c.text == "–" { "" } else { &c.text });
            }
            out.push_str("\r\n");
        }
        out
    }
}

fn csv_response(table: &Table, filename: &str) -> Response {
    let name: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        // A byte order mark, so that spreadsheets read Chinese headers as UTF-8.
        format!("\u{feff}{}", table.csv()),
    )
        .into_response()
}

fn ranked_table(
    lang: Lang,
    id: &'static str,
    title: String,
    rows: &[RankedRow],
    repos: bool,
) -> Table {
    let mut t = Table::new(
        lang,
        id,
        title,
        "/analytics",
        &[
            ("rank", true),
            (if repos { "repository" } else { "developer" }, false),
            ("openrank", true),
            ("activity", true),
            (
                if repos {
                    "participants"
                } else {
                    "repositories"
                },
                true,
            ),
        ],
    );
    for r in rows {
        let href = if repos {
            repo_href(&r.name)
        } else {
            developer_href(&r.name)
        };
        t.rows.push(vec![
            Cell::int(r.rank as u32),
            Cell::link(r.name.clone(), href),
            r.openrank.map_or(Cell::days(None), |v| Cell::num(v, 2)),
            Cell::num(r.activity, 2),
            Cell::int(r.participants as f64),
        ]);
    }
    t
}

fn overview_tables(lang: Lang, o: &Overview) -> Vec<Table> {
    let month = o.month.clone().unwrap_or_default();
    let mut tables = vec![
        ranked_table(
            lang,
            "repositories",
            tf(lang, "analytics.top_repositories", &[("month", &month)]),
            &o.repositories,
            true,
        ),
        ranked_table(
            lang,
            "developers",
            tf(lang, "analytics.top_developers", &[("month", &month)]),
            &o.developers,
            false,
        ),
    ];
    let q = format!("?month={}&sort={}", url_encode(&month), o.order);
    for t in &mut tables {
        t.csv.push_str(&q);
    }
    tables
}

/// Why a stargazer is suspected, in the reader's language.
pub fn reason_text(lang: Lang, r: &Reason) -> String {
    match r {
        Reason::LowActivity {
            days,
            actions,
            repositories,
        } => tf(
            lang,
            "analytics.reason.low_activity",
            &[
                ("days", &days.to_string()),
                ("actions", &actions.to_string()),
                ("repositories", &repositories.to_string()),
            ],
        ),
        Reason::Lockstep {
            group,
            accounts,
            repositories,
            from,
            to,
        } => tf(
            lang,
            "analytics.reason.lockstep",
            &[
                ("group", &group.to_string()),
                ("accounts", &accounts.to_string()),
                ("repositories", &repositories.to_string()),
                ("from", &date(*from)),
                ("to", &date(*to)),
            ],
        ),
    }
}

fn repo_tables(lang: Lang, r: &RepoReport) -> Vec<Table> {
    let base = repo_href(&r.repo);
    let tr = |k: &str| t(lang, k).to_string();
    let mut periods = Table::new(
        lang,
        "periods",
        tr("analytics.periods"),
        &base,
        &[
            ("period", false),
            ("activity", true),
            ("openrank", true),
            ("participants", true),
            ("stars", true),
            ("stars_suspected", true),
            ("forks", true),
            ("attention", true),
            ("new_contributors", true),
            ("inactive_contributors", true),
            ("bus_factor", true),
            ("issues_opened", true),
            ("issues_closed", true),
            ("issue_response", true),
            ("issue_resolution", true),
            ("prs_opened", true),
            ("prs_merged", true),
            ("prs_declined", true),
            ("pr_response", true),
            ("pr_resolution", true),
        ],
    );
    for p in &r.rows {
        periods.rows.push(vec![
            Cell::text(p.period.clone()),
            Cell::num(p.activity, 2),
            Cell::num(p.openrank, 2),
            Cell::int(p.participants as f64),
            Cell::int(p.stars as f64),
            Cell::int(p.stars_suspected as f64),
            Cell::int(p.forks as f64),
            Cell::num(p.attention, 0),
            Cell::int(p.new_contributors as f64),
            Cell::int(p.inactive_contributors as f64),
            Cell::int(p.bus_factor as f64),
            Cell::int(p.issues_opened as f64),
            Cell::int(p.issues_closed as f64),
            Cell::days(p.issue_response_days),
            Cell::days(p.issue_resolution_days),
            Cell::int(p.prs_opened as f64),
            Cell::int(p.prs_merged as f64),
            Cell::int(p.prs_declined as f64),
            Cell::days(p.pr_response_days),
            Cell::days(p.pr_resolution_days),
        ]);
    }
    let mut devs = Table::new(
        lang,
        "developers",
        tr("analytics.developers"),
        &base,
        &[
            ("developer", false),
            ("activity", true),
            ("community_openrank", true),
            ("prs_merged", true),
            ("first_month", false),
            ("last_month", false),
        ],
    );
    for d in &r.developers {
        devs.rows.push(vec![
            Cell::link(d.login.clone(), developer_href(&d.login)),
            Cell::num(d.activity, 2),
            Cell::num(d.openrank, 3),
            Cell::int(d.prs_merged as f64),
            Cell::text(d.first_month.clone()),
            Cell::text(d.last_month.clone()),
        ]);
    }
    let mut suspects = Table::new(
        lang,
        "suspects",
        tr("analytics.suspects"),
        &base,
        &[
            ("stargazer", false),
            ("starred_at", false),
            ("reasons", false),
        ],
    );
    for s in &r.vanity.suspects {
        let reasons: Vec<String> = s.reasons.iter().map(|x| reason_text(lang, x)).collect();
        suspects.rows.push(vec![
            Cell::link(s.login.clone(), developer_href(&s.login)),
            Cell {
                text: date(s.starred_at),
                href: None,
                sort: Some(s.starred_at as f64),
            },
            Cell::text(reasons.join(" · ")),
        ]);
    }
    let mut groups = Table::new(
        lang,
        "groups",
        tr("analytics.groups"),
        &base,
        &[
            ("group", true),
            ("accounts", true),
            ("repositories", true),
            ("starred_here", true),
            ("from", false),
            ("to", false),
        ],
    );
    for g in &r.vanity.groups {
        groups.rows.push(vec![
            Cell::int(g.group as f64),
            Cell::int(g.accounts as f64),
            Cell::int(g.repositories as f64),
            Cell::int(g.starred_here as f64),
            Cell::text(date(g.from)),
            Cell::text(date(g.to)),
        ]);
    }
    let mut bots = Table::new(
        lang,
        "bots",
        tr("analytics.bots"),
        &base,
        &[("bot", false), ("events", true)],
    );
    for (login, n) in &r.bots {
        bots.rows
            .push(vec![Cell::text(login.clone()), Cell::int(*n as f64)]);
    }
    let q = format!("?period={}", period_key(r.period));
    let mut tables = vec![periods, devs, suspects, groups, bots];
    for t in &mut tables {
        t.csv.push_str(&q);
    }
    tables
}

fn developer_tables(lang: Lang, d: &DeveloperReport) -> Vec<Table> {
    let base = developer_href(&d.login);
    let mut periods = Table::new(
        lang,
        "periods",
        t(lang, "analytics.periods").to_string(),
        &base,
        &[
            ("period", false),
            ("activity", true),
            ("openrank", true),
            ("repositories", true),
            ("issues_opened", true),
            ("issue_comments", true),
            ("prs_opened", true),
            ("prs_merged", true),
            ("reviews", true),
            ("review_comments", true),
            ("pushes", true),
            ("stars", true),
        ],
    );
    for p in &d.rows {
        periods.rows.push(vec![
            Cell::text(p.period.clone()),
            Cell::num(p.activity, 2),
            Cell::num(p.openrank, 2),
            Cell::int(p.repositories as f64),
            Cell::int(p.issues_opened as f64),
            Cell::int(p.issue_comments as f64),
            Cell::int(p.prs_opened as f64),
            Cell::int(p.prs_merged as f64),
            Cell::int(p.reviews as f64),
            Cell::int(p.review_comments as f64),
            Cell::int(p.pushes as f64),
            Cell::int(p.stars as f64),
        ]);
    }
    let mut repos = Table::new(
        lang,
        "repositories",
        t(lang, "analytics.repositories").to_string(),
        &base,
        &[
            ("repository", false),
            ("activity", true),
            ("issues_opened", true),
            ("issue_comments", true),
            ("prs_opened", true),
            ("prs_merged", true),
            ("events", true),
            ("first_month", false),
            ("last_month", false),
        ],
    );
    for r in &d.repositories {
        repos.rows.push(vec![
            Cell::link(r.repo.clone(), repo_href(&r.repo)),
            Cell::num(r.activity, 2),
            Cell::int(r.issues_opened as f64),
            Cell::int(r.issue_comments as f64),
            Cell::int(r.prs_opened as f64),
            Cell::int(r.prs_merged as f64),
            Cell::int(r.events as f64),
            Cell::text(r.first_month.clone()),
            Cell::text(r.last_month.clone()),
        ]);
    }
    let q = format!("?period={}", period_key(d.period));
    let mut tables = vec![periods, repos];
    for t in &mut tables {
        t.csv.push_str(&q);
    }
    tables
}

// Charts --------------------------------------------------------------------------

/// A chart under a title already in the reader's language.
fn chart(lang: Lang, title: &str, x: &[String], series: Vec<Series>, kind: Kind) -> String {
    Chart {
        title,
        empty: t(lang, "analytics.chart_empty"),
        x,
        series,
        kind,
    }
    .svg()
}

fn repo_charts(lang: Lang, r: &RepoReport, fork_weight: f64) -> Vec<String> {
    let x: Vec<String> = r.rows.iter().map(|p| p.period.clone()).collect();
    let col =
        |f: &dyn Fn(&guildhall_services::analytics::PeriodRow) -> Option<f64>| -> Vec<Option<f64>> {
            r.rows.iter().map(f).collect()
        };
    let s = |k: &str, v| Series::new(t(lang, k), v);
    vec![
        chart(
            lang,
            t(lang, "analytics.chart.activity"),
            &x,
            vec![s("analytics.col.activity", col(&|p| Some(p.activity)))],
            Kind::Line,
        ),
        chart(
            lang,
            t(lang, "analytics.chart.openrank"),
            &x,
            vec![s("analytics.col.openrank", col(&|p| Some(p.openrank)))],
            Kind::Line,
        ),
        chart(
            lang,
            &tf(
                lang,
                "analytics.chart.attention",
                &[("weight", &number(fork_weight))],
            ),
            &x,
            vec![
                s(
                    "analytics.series.stars_real",
                    col(&|p| Some(p.stars.saturating_sub(p.stars_suspected) as f64)),
                ),
                s(
                    "analytics.series.stars_suspected",
                    col(&|p| Some(p.stars_suspected as f64)),
                ),
                Series::new(
                    tf(
                        lang,
                        "analytics.series.forks_weighted",
                        &[("weight", &number(fork_weight))],
                    ),
                    col(&|p| Some(p.forks as f64 * fork_weight)),
                ),
            ],
            Kind::Bar(Bars::Stacked),
        ),
        chart(
            lang,
            t(lang, "analytics.chart.contributors"),
            &x,
            vec![
                s(
                    "analytics.col.new_contributors",
                    col(&|p| Some(p.new_contributors as f64)),
                ),
                s(
                    "analytics.col.inactive_contributors",
                    col(&|p| Some(p.inactive_contributors as f64)),
                ),
            ],
            Kind::Bar(Bars::Grouped),
        ),
        chart(
            lang,
            t(lang, "analytics.chart.response"),
            &x,
            vec![
                s(
                    "analytics.col.issue_response",
                    col(&|p| p.issue_response_days),
                ),
                s("analytics.col.pr_response", col(&|p| p.pr_response_days)),
                s(
                    "analytics.col.issue_resolution",
                    col(&|p| p.issue_resolution_days),
                ),
                s(
                    "analytics.col.pr_resolution",
                    col(&|p| p.pr_resolution_days),
                ),
            ],
            Kind::Line,
        ),
    ]
}

fn developer_charts(lang: Lang, d: &DeveloperReport) -> Vec<String> {
    let x: Vec<String> = d.rows.iter().map(|p| p.period.clone()).collect();
    let s = |k: &str, f: &dyn Fn(&guildhall_services::analytics::DeveloperPeriodRow) -> f64| {
        Series::new(t(lang, k), d.rows.iter().map(|p| Some(f(p))).collect())
    };
    vec![
        chart(
            lang,
            t(lang, "analytics.chart.activity"),
            &x,
            vec![s("analytics.col.activity", &|p| p.activity)],
            Kind::Line,
        ),
        chart(
            lang,
            t(lang, "analytics.chart.openrank"),
            &x,
            vec![s("analytics.col.openrank", &|p| p.openrank)],
            Kind::Line,
        ),
        chart(
            lang,
            t(lang, "analytics.chart.contributions"),
            &x,
            vec![
                s("analytics.col.issues_opened", &|p| p.issues_opened as f64),
                s("analytics.col.issue_comments", &|p| p.issue_comments as f64),
                s("analytics.col.prs_opened", &|p| p.prs_opened as f64),
                s("analytics.col.reviews", &|p| {
                    (p.reviews + p.review_comments) as f64
                }),
            ],
            Kind::Bar(Bars::Stacked),
        ),
    ]
}

// Pages ---------------------------------------------------------------------------

fn period_tabs(c: &Ctx, base: &str, active: Period) -> Vec<(SortTab, String)> {
    [Period::Month, Period::Quarter, Period::Year]
        .into_iter()
        .map(|p| {
            let key = period_key(p);
            (
                SortTab {
                    key,
                    label: c.t(&format!("analytics.period.{key}")),
                    active: p == active,
                },
                format!("{base}?period={key}"),
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "analytics_overview.html")]
pub struct OverviewPage {
    pub chrome: Chrome,
    pub o: Overview,
    pub tables: Vec<Table>,
    pub tabs: Vec<(SortTab, String)>,
}

impl OverviewPage {
    pub fn month_link(&self, m: &str) -> String {
        format!("/analytics?month={}&sort={}", url_encode(m), self.o.order)
    }
    pub fn is_month(&self, m: &str) -> bool {
        self.o.month.as_deref() == Some(m)
    }
    pub fn ranked(&self) -> String {
        tf(
            self.chrome.lang,
            "analytics.ranked",
            &[
                ("repositories", &self.o.repositories_ranked.to_string()),
                ("developers", &self.o.developers_ranked.to_string()),
            ],
        )
    }
}

#[derive(Template)]
#[template(path = "analytics_report.html")]
pub struct ReportPage {
    pub chrome: Chrome,
    pub heading: String,
    pub subtitle: String,
    /// A note shown above the charts (a bot's page, the divergence flag).
    pub notes: Vec<(bool, String)>,
    pub summary: Vec<(String, String)>,
    pub charts: Vec<String>,
    pub tables: Vec<Table>,
    pub tabs: Vec<(SortTab, String)>,
    pub json: String,
}

async fn overview_page(
    State(web): State<Web>,
    c: Ctx,
    Query(q): Query<AnalyticsQuery>,
) -> PageResult {
    let (month, order) = (
        q.month().map_err(|e| c.err(e))?,
        q.order().map_err(|e| c.err(e))?,
    );
    let o = web
        .app
        .analytics_overview(month, order, OVERVIEW_ROWS)
        .await
        .map_err(|e| c.err(e))?;
    let month_q = o.month.clone().unwrap_or_default();
    let tabs = ["openrank", "activity", "participants"]
        .into_iter()
        .map(|k| {
            (
                SortTab {
                    key: k,
                    label: c.t(&format!("analytics.sort.{k}")),
                    active: o.order == k,
                },
                format!("/analytics?month={}&sort={k}", url_encode(&month_q)),
            )
        })
        .collect();
    let tables = overview_tables(c.lang, &o);
    render(
        &c,
        OverviewPage {
            chrome: Chrome::from_ctx(&c),
            o,
            tables,
            tabs,
        },
    )
}

async fn overview_csv(
    State(web): State<Web>,
    c: Ctx,
    Path(table): Path<String>,
    Query(q): Query<AnalyticsQuery>,
) -> PageResult {
    let (month, order) = (
        q.month().map_err(|e| c.err(e))?,
        q.order().map_err(|e| c.err(e))?,
    );
    let o = web
        .app
        .analytics_overview(month, order, OVERVIEW_ROWS)
        .await
        .map_err(|e| c.err(e))?;
    let tables = overview_tables(c.lang, &o);
    let t = pick(&c, &tables, &table)?;
    Ok(csv_response(
        t,
        &format!("{}-{}", o.month.as_deref().unwrap_or("none"), t.id),
    ))
}

fn pick<'a>(c: &Ctx, tables: &'a [Table], id: &str) -> Result<&'a Table, WebError> {
    let id = id.strip_suffix(".csv").unwrap_or(id);
    tables
        .iter()
        .find(|t| t.id == id)
        .ok_or_else(|| c.err(DomainError::NotFound("table")))
}

pub(crate) async fn repo_report(
    web: &Web,
    c: &Ctx,
    owner: &str,
    name: &str,
    q: &AnalyticsQuery,
) -> Result<RepoReport, WebError> {
    let period = q.period().map_err(|e| c.err(e))?;
    web.app
        .analytics_repo_report(&format!("{owner}/{name}"), period)
        .await
        .map_err(|e| c.err(e))?
        .ok_or_else(|| c.err(DomainError::NotFound("repository")))
}

pub(crate) async fn developer_report(
    web: &Web,
    c: &Ctx,
    login: &str,
    q: &AnalyticsQuery,
) -> Result<DeveloperReport, WebError> {
    let period = q.period().map_err(|e| c.err(e))?;
    web.app
        .analytics_developer_report(login, period)
        .await
        .map_err(|e| c.err(e))?
        .ok_or_else(|| c.err(DomainError::NotFound("developer")))
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0%".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

async fn repo_page(
    State(web): State<Web>,
    c: Ctx,
    Path((owner, name)): Path<(String, String)>,
    Query(q): Query<AnalyticsQuery>,
) -> PageResult {
    let r = repo_report(&web, &c, &owner, &name, &q).await?;
    let lang = c.lang;
    let fork_weight = web.app.settings().analytics.health.fork_weight;
    let v = &r.vanity;
    let mut notes = Vec::new();
    let d = &v.divergence;
    if d.flagged {
        notes.push((
            true,
            tf(
                lang,
                "analytics.divergence.flagged",
                &[
                    ("months", &d.months.to_string()),
                    ("attention_first", &number(d.attention_first)),
                    ("attention_last", &number(d.attention_last)),
                    ("activity_first", &number(d.activity_first)),
                    ("activity_last", &number(d.activity_last)),
                ],
            ),
        ));
    } else {
        notes.push((
            false,
            tf(
                lang,
                "analytics.divergence.none",
                &[("months", &d.months.to_string())],
            ),
        ));
    }
    let total_activity: f64 = r.rows.iter().map(|p| p.activity).sum();
    let summary = vec![
        (
            c.t("analytics.summary.stargazers").to_string(),
            v.stargazers.to_string(),
        ),
        (
            c.t("analytics.summary.suspected").to_string(),
            format!("{} ({})", v.suspected, percent(v.suspected, v.stargazers)),
        ),
        (
            c.t("analytics.summary.groups").to_string(),
            v.groups.len().to_string(),
        ),
        (
            c.t("analytics.summary.activity").to_string(),
            format!("{total_activity:.2}"),
        ),
        (
            c.t("analytics.summary.developers").to_string(),
            r.developers.len().to_string(),
        ),
    ];
    let base = repo_href(&r.repo);
    let page = ReportPage {
        chrome: Chrome::from_ctx(&c),
        heading: r.repo.clone(),
        subtitle: c.t("analytics.repo_subtitle").to_string(),
        notes,
        summary,
        charts: repo_charts(lang, &r, fork_weight),
        tables: repo_tables(lang, &r),
        tabs: period_tabs(&c, &base, r.period),
        json: format!(
            "/api/v1/analytics/repos/{}?period={}",
            base.trim_start_matches("/analytics/repos/"),
            period_key(r.period)
        ),
    };
    render(&c, page)
}

async fn repo_csv(
    State(web): State<Web>,
    c: Ctx,
    Path((owner, name, table)): Path<(String, String, String)>,
    Query(q): Query<AnalyticsQuery>,
) -> PageResult {
    let r = repo_report(&web, &c, &owner, &name, &q).await?;
    let tables = repo_tables(c.lang, &r);
    let t = pick(&c, &tables, &table)?;
    Ok(csv_response(
        t,
        &format!(
            "{}-{}-{}",
            r.repo.replace('/', "-"),
            t.id,
            period_key(r.period)
        ),
    ))
}

async fn developer_page(
    State(web): State<Web>,
    c: Ctx,
    Path(login): Path<String>,
    Query(q): Query<AnalyticsQuery>,
) -> PageResult {
    let d = developer_report(&web, &c, &login, &q).await?;
    let lang = c.lang;
    let mut notes = Vec::new();
    if d.is_bot {
        notes.push((true, c.t("analytics.bot_note").to_string()));
    }
    let total: f64 = d.rows.iter().map(|p| p.activity).sum();
    let merged: u64 = d.rows.iter().map(|p| p.prs_merged).sum();
    let summary = vec![
        (
            c.t("analytics.summary.activity").to_string(),
            format!("{total:.2}"),
        ),
        (
            c.t("analytics.summary.repositories").to_string(),
            d.repositories.len().to_string(),
        ),
        (
            c.t("analytics.col.prs_merged").to_string(),
            merged.to_string(),
        ),
    ];
    let base = developer_href(&d.login);
    let page = ReportPage {
        chrome: Chrome::from_ctx(&c),
        heading: d.login.clone(),
        subtitle: c.t("analytics.developer_subtitle").to_string(),
        notes,
        summary,
        charts: developer_charts(lang, &d),
        tables: developer_tables(lang, &d),
        tabs: period_tabs(&c, &base, d.period),
        json: format!(
            "/api/v1/analytics/developers/{}?period={}",
            url_encode(&d.login),
            period_key(d.period)
        ),
    };
    render(&c, page)
}

async fn developer_csv(
    State(web): State<Web>,
    c: Ctx,
    Path((login, table)): Path<(String, String)>,
    Query(q): Query<AnalyticsQuery>,
) -> PageResult {
    let d = developer_report(&web, &c, &login, &q).await?;
    let tables = developer_tables(c.lang, &d);
    let t = pick(&c, &tables, &table)?;
    Ok(csv_response(
        t,
        &format!("{}-{}-{}", d.login, t.id, period_key(d.period)),
    ))
}

async fn tables_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/tables.js"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let mut t = Table::new(
            Lang::En,
            "x",
            String::new(),
            "/b",
            &[("period", false), ("activity", true)],
        );
        t.rows
            .push(vec![Cell::text("a,b"), Cell::text("say \"hi\"")]);
        t.rows.push(vec![Cell::text("plain"), Cell::days(None)]);
        assert_eq!(
            t.csv(),
            "Period,Activity\r\n\"a,b\",\"say \"\"hi\"\"\"\r\nplain,\r\n"
        );
        assert_eq!(t.csv, "/b/csv/x");
    }

    #[test]
    fn addresses_keep_the_slash_of_a_repository() {
        assert_eq!(repo_href("acme/widget"), "/analytics/repos/acme/widget");
        assert_eq!(repo_href("a b/c"), "/analytics/repos/a%20b/c");
        assert_eq!(
            developer_href("dependabot[bot]"),
            "/analytics/developers/dependabot%5Bbot%5D"
        );
    }

    #[test]
    fn bad_parameters_are_named() {
        let q = AnalyticsQuery {
            period: Some("week".into()),
            month: Some("2026-13".into()),
            sort: Some("stars".into()),
            limit: Some("0".into()),
        };
        assert!(q.period().is_err());
        assert!(q.month().is_err());
        assert!(q.order().is_err());
        assert!(q.limit().is_err());
        let ok = AnalyticsQuery::default();
        assert_eq!(ok.period().unwrap(), Period::Month);
        assert_eq!(ok.month().unwrap(), None);
        assert_eq!(ok.order().unwrap(), RankOrder::OpenRank);
        assert_eq!(ok.limit().unwrap(), OVERVIEW_ROWS);
    }
}
