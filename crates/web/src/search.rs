//! Pages for search, the search help, the tag directory and tag pages,
//! followed tags, and the Atom/RSS feeds. Request → service → template.

use crate::ctx::Ctx;
use crate::error::WebError;
use crate::forms::FormData;
use crate::pages::{parse_list, tabs as question_tabs, ListQuery};
use crate::review::render;
use crate::views::{civil, url_encode, Chrome, ListPage, SortTab};
use crate::Web;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use guildhall_domain::Privilege;
use guildhall_i18n::{tf, Lang};
use guildhall_search::query::Notice;
use guildhall_services::community::QuestionList;
use guildhall_services::search::{Feed, Hit, SearchResults, TagDirectory};
use guildhall_services::storage::content::OwnList;

pub fn routes() -> Router<Web> {
    Router::new()
        .route("/search", get(search))
        .route("/search/help", get(help))
        .route("/tags", get(tags))
        .route("/tags/{name}", get(tag))
        .route("/tags/{name}/follow", post(follow))
        .route("/tags/{name}/unfollow", post(unfollow))
        .route("/tags/{name}/synonyms", post(add_synonym))
        .route(
            "/tags/{name}/synonyms/{synonym}/delete",
            post(remove_synonym),
        )
        .route("/questions/following", get(following))
        .route("/questions/bookmarks", get(bookmarks))
        .route("/feeds/questions", get(feed_newest))
        .route("/feeds/questions/{id}", get(feed_question))
        .route("/feeds/tags/{name}", get(feed_tag))
        .route("/static/ask.js", get(ask_js))
}

type PageResult = Result<Response, WebError>;

/// A notice about the query, in the reader's language.
pub fn notice_text(lang: Lang, n: &Notice) -> String {
    match n {
        Notice::BadValue { op, value } => tf(
            lang,
            "search.notice.bad_value",
            &[("op", op), ("value", value)],
        ),
        Notice::TooManyTags { max } => tf(
            lang,
            "search.notice.too_many_tags",
            &[("max", &max.to_string())],
        ),
        Notice::TooManyTerms { max } => tf(
            lang,
            "search.notice.too_many_terms",
            &[("max", &max.to_string())],
        ),
        Notice::UnbalancedQuote => tf(lang, "search.notice.unbalanced_quote", &[]),
        Notice::UnknownTag { tag } => tf(lang, "search.notice.unknown_tag", &[("tag", tag)]),
        Notice::UnknownUser { name } => tf(lang, "search.notice.unknown_user", &[("name", name)]),
        Notice::MeNeedsLogin => tf(lang, "search.notice.me_needs_login", &[]),
        Notice::AnyWords => tf(lang, "search.notice.any_words", &[]),
    }
}

// Search ----------------------------------------------------------------------

#[derive(serde::Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

impl SearchQuery {
    pub fn text(&self) -> &str {
        self.q.as_deref().unwrap_or("")
    }
    pub fn sort_key(&self) -> Option<&str> {
        self.sort.as_deref()
    }
    pub fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
            .clamp(1, 1_000)
    }
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub chrome: Chrome,
    pub r: SearchResults,
    pub notices: Vec<String>,
    pub tabs: Vec<SortTab>,
}

impl SearchPage {
    pub fn link(&self, page: usize) -> String {
        format!(
            "/search?q={}&sort={}&page={page}",
            url_encode(&self.r.query),
            self.r.sort.key()
        )
    }
    pub fn sort_link(&self, sort: &str) -> String {
        format!("/search?q={}&sort={sort}", url_encode(&self.r.query))
    }
    pub fn hit_link(&self, h: &Hit) -> String {
        if h.kind == "answer" {
            format!("/questions/{}#post-{}", h.question_id, h.id)
        } else {
            format!("/questions/{}", h.id)
        }
    }
    pub fn total(&self) -> String {
        let key = if self.r.more {
            "search.total_more"
        } else if self.r.total == 1 {
            "search.total_one"
        } else {
            "search.total"
        };
        self.chrome.tf1(key, "count", &self.r.total.to_string())
    }
}

async fn search(State(web): State<Web>, c: Ctx, Query(q): Query<SearchQuery>) -> PageResult {
    let text = q.q.clone().unwrap_or_default();
    let r = web
        .app
        .search(c.user.as_ref(), &text, q.sort.as_deref(), q.page())
        .await
        .map_err(|e| c.err(e))?;
    let notices = r.notices.iter().map(|n| notice_text(c.lang, n)).collect();
    let tabs = ["relevance", "newest", "votes"]
        .into_iter()
        .map(|k| SortTab {
            key: k,
            label: c.t(&format!("search.sort.{k}")),
            active: r.sort.key() == k,
        })
        .collect();
    render(
        &c,
        SearchPage {
            chrome: Chrome::from_ctx(&c),
            r,
            notices,
            tabs,
        },
    )
}

#[derive(Template)]
#[template(path = "search_help.html")]
pub struct HelpPage {
    pub chrome: Chrome,
    /// (syntax, description key, example)
    pub rows: Vec<(&'static str, &'static str, &'static str)>,
    /// `[tag]` filters a query reads (an administrator's setting).
    pub max_tags: String,
}

impl HelpPage {
    pub fn describe(&self, key: &str) -> String {
        self.chrome.tf1(key, "max", &self.max_tags)
    }
    pub fn example_link(&self, example: &str) -> String {
        format!("/search?q={}", url_encode(example))
    }
}

/// Every operator of the query language, with an example.
pub const HELP_ROWS: &[(&str, &str, &str)] = &[
    ("word", "search.help.words", "rust 异步 连接池"),
    ("\"…\"", "search.help.phrase", "\"connection pool\""),
    ("-word", "search.help.exclude", "lock -redis"),
    ("[tag]", "search.help.tag", "[rust] [tokio]"),
    (
        "user:NAME, user:me",
        "search.help.user",
        "user:me hasaccepted:no",
    ),
    ("score:N, score:>=N", "search.help.score", "score:>=5"),
    ("answers:N", "search.help.answers", "answers:0"),
    (
        "is:question, is:answer",
        "search.help.is",
        "is:answer tokio",
    ),
    (
        "hasaccepted:yes|no",
        "search.help.hasaccepted",
        "hasaccepted:no [sqlite]",
    ),
    ("closed:yes|no", "search.help.closed", "closed:no"),
    (
        "created:A..B",
        "search.help.created",
        "created:2026-01-01..2026-06-30",
    ),
];

async fn help(State(web): State<Web>, c: Ctx) -> PageResult {
    render(
        &c,
        HelpPage {
            chrome: Chrome::from_ctx(&c),
            rows: HELP_ROWS.to_vec(),
            max_tags: web.app.settings().search.max_tags.to_string(),
        },
    )
}

// Tags ------------------------------------------------------------------------

/// `?sort=&filter=&page=` of the tag and member directories.
#[derive(serde::Deserialize)]
pub struct DirectoryQuery {
    sort: Option<String>,
    filter: Option<String>,
    page: Option<String>,
}

impl DirectoryQuery {
    pub fn sort(&self) -> Option<&str> {
        self.sort.as_deref()
    }
    pub fn filter(&self) -> &str {
        self.filter.as_deref().unwrap_or("")
    }
    pub fn page(&self) -> i64 {
        self.page
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
            .clamp(1, 100_000)
    }
}

#[derive(Template)]
#[template(path = "tags.html")]
pub struct TagsPage {
    pub chrome: Chrome,
    pub dir: TagDirectory,
    pub tabs: Vec<SortTab>,
}

impl TagsPage {
    pub fn count(&self, n: &i64) -> String {
        self.chrome.tf1("tags.questions", "count", &n.to_string())
    }
    pub fn followers(&self, n: &i64) -> String {
        self.chrome.tf1("tags.followers", "count", &n.to_string())
    }
    pub fn follows(&self, name: &str) -> bool {
        self.dir.following.iter().any(|t| t == name)
    }
}

async fn tags(State(web): State<Web>, c: Ctx, Query(q): Query<DirectoryQuery>) -> PageResult {
    let dir = web
        .app
        .tag_directory(c.user.as_ref(), q.sort(), q.filter(), q.page())
        .await
        .map_err(|e| c.err(e))?;
    let tabs = ["popular", "name", "new"]
        .into_iter()
        .map(|k| SortTab {
            key: k,
            label: c.t(&format!("tags.sort.{k}")),
            active: dir.sort.key() == k,
        })
        .collect();
    render(
        &c,
        TagsPage {
            chrome: Chrome::from_ctx(&c),
            dir,
            tabs,
        },
    )
}

async fn tag(
    State(web): State<Web>,
    c: Ctx,
    Path(name): Path<String>,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let (sort, page) = parse_list(&q);
    let detail = web
        .app
        .tag_detail(&name, c.user.as_ref())
        .await
        .map_err(|e| c.err(e))?;
    if detail.tag.name != name {
        // A synonym (or another spelling): the tag's own address.
        return Ok(
            Redirect::permanent(&format!("/tags/{}", url_encode(&detail.tag.name))).into_response(),
        );
    }
    let list = web
        .app
        .questions(sort, Some(&detail.tag.name), page, 30)
        .await
        .map_err(|e| c.err(e))?;
    let s = web.app.settings();
    let can_cleanup = c
        .user
        .as_ref()
        .is_some_and(|u| s.privileges.holds(&u.actor(), Privilege::TagCleanup));
    render(
        &c,
        ListPage {
            heading: c.tf("list.tag_title", &[("tag", &detail.tag.name)]),
            base: format!("/tags/{}", url_encode(&detail.tag.name)),
            feed: Some(format!("/feeds/tags/{}", url_encode(&detail.tag.name))),
            tag: Some(detail),
            can_cleanup,
            list,
            tabs: question_tabs(&c, sort),
            sort: sort.key().into(),
            chrome: Chrome::from_ctx(&c),
        },
    )
}

async fn following(State(web): State<Web>, c: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    own_list(&web, &c, OwnList::Following, &q).await
}

async fn bookmarks(State(web): State<Web>, c: Ctx, Query(q): Query<ListQuery>) -> PageResult {
    own_list(&web, &c, OwnList::Bookmarks, &q).await
}

/// A member's own list (`/questions/{following|bookmarks}`).
async fn own_list(web: &Web, c: &Ctx, list: OwnList, q: &ListQuery) -> PageResult {
    let user = c.member()?;
    let (_, page) = parse_list(q);
    let (questions, has_next) = web
        .app
        .own_questions(user, list, page)
        .await
        .map_err(|e| c.err(e))?;
    let which = list.key();
    render(
        c,
        ListPage {
            heading: c.t(&format!("list.{which}")).to_string(),
            base: format!("/questions/{which}"),
            feed: None,
            tag: None,
            can_cleanup: false,
            list: QuestionList {
                questions,
                page,
                per_page: guildhall_services::LIST_PAGE,
                has_next,
            },
            tabs: Vec::new(),
            sort: "newest".into(),
            chrome: Chrome::from_ctx(c),
        },
    )
}

fn to_tag(name: &str) -> PageResult {
    Ok(Redirect::to(&format!("/tags/{}", url_encode(name))).into_response())
}

async fn set_follow(web: &Web, c: &Ctx, f: &FormData, name: &str, on: bool) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let user = c.member()?;
    let tag = web
        .app
        .follow_tag(user, name, on)
        .await
        .map_err(|e| c.err(e))?;
    to_tag(&tag.name)
}

async fn follow(
    State(web): State<Web>,
    c: Ctx,
    Path(name): Path<String>,
    f: FormData,
) -> PageResult {
    set_follow(&web, &c, &f, &name, true).await
}

async fn unfollow(
    State(web): State<Web>,
    c: Ctx,
    Path(name): Path<String>,
    f: FormData,
) -> PageResult {
    set_follow(&web, &c, &f, &name, false).await
}

async fn add_synonym(
    State(web): State<Web>,
    c: Ctx,
    Path(name): Path<String>,
    f: FormData,
) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let user = c.member()?;
    web.app
        .add_tag_synonym(user, &name, f.get("synonym"))
        .await
        .map_err(|e| c.err(e))?;
    to_tag(&name)
}

async fn remove_synonym(
    State(web): State<Web>,
    c: Ctx,
    Path((name, synonym)): Path<(String, String)>,
    f: FormData,
) -> PageResult {
    c.check_csrf(f.opt("csrf"))?;
    let user = c.member()?;
    web.app
        .remove_tag_synonym(user, &synonym)
        .await
        .map_err(|e| c.err(e))?;
    to_tag(&name)
}

// Feeds -----------------------------------------------------------------------

#[derive(serde::Deserialize)]
pub struct FeedQuery {
    format: Option<String>,
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

pub fn rfc3339(ts: i64) -> String {
    let (y, mo, d, h, mi, s, _) = civil(ts);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

pub fn rfc2822(ts: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, h, mi, s, wd) = civil(ts);
    format!(
        "{}, {d:02} {} {y:04} {h:02}:{mi:02}:{s:02} GMT",
        DAYS[wd as usize],
        MONTHS[(mo - 1) as usize]
    )
}

/// Atom 1.0 (RFC 4287).
pub fn atom(feed: &Feed, base: &str) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    x.push_str(&format!(
        "<title>{}</title>\n<id>{base}{}</id>\n<link rel=\"self\" href=\"{base}{}\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"{base}{}\"/>\n<updated>{}</updated>\n<generator>guildhall</generator>\n",
        xml_escape(&feed.title),
        xml_escape(&feed.self_link),
        xml_escape(&feed.self_link),
        xml_escape(&feed.link),
        rfc3339(feed.updated)
    ));
    for e in &feed.entries {
        x.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>{base}/posts/{}</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"{base}{}\"/>\n<author><name>{}</name><uri>{base}/users/{}</uri></author>\n<published>{}</published>\n<updated>{}</updated>\n",
            xml_escape(&e.title),
            e.id,
            xml_escape(&e.link),
            xml_escape(&e.author),
            xml_escape(&url_encode(&e.author)),
            rfc3339(e.published),
            rfc3339(e.updated)
        ));
        for t in &e.tags {
            x.push_str(&format!("<category term=\"{}\"/>\n", xml_escape(t)));
        }
        x.push_str(&format!(
            "<content type=\"html\">{}</content>\n</entry>\n",
            xml_escape(&e.content_html)
        ));
    }
    x.push_str("</feed>\n");
    x
}

/// RSS 2.0.
pub fn rss(feed: &Feed, base: &str) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n");
    x.push_str(&format!(
        "<title>{}</title>\n<link>{base}{}</link>\n<description>{}</description>\n<atom:link rel=\"self\" type=\"application/rss+xml\" href=\"{base}{}?format=rss\"/>\n<lastBuildDate>{}</lastBuildDate>\n",
        xml_escape(&feed.title),
        xml_escape(&feed.link),
        xml_escape(&feed.title),
        xml_escape(&feed.self_link),
        rfc2822(feed.updated)
    ));
    for e in &feed.entries {
        x.push_str(&format!(
            "<item>\n<title>{}</title>\n<link>{base}{}</link>\n<guid isPermaLink=\"false\">{base}/posts/{}</guid>\n<dc:creator xmlns:dc=\"http://purl.org/dc/elements/1.1/\">{}</dc:creator>\n<pubDate>{}</pubDate>\n",
            xml_escape(&e.title),
            xml_escape(&e.link),
            e.id,
            xml_escape(&e.author),
            rfc2822(e.published)
        ));
        for t in &e.tags {
            x.push_str(&format!("<category>{}</category>\n", xml_escape(t)));
        }
        x.push_str(&format!(
            "<description>{}</description>\n</item>\n",
            xml_escape(&e.content_html)
        ));
    }
    x.push_str("</channel>\n</rss>\n");
    x
}

fn feed_response(web: &Web, feed: &Feed, q: &FeedQuery) -> PageResult {
    let base = web.app.config.base_url.trim_end_matches('/');
    let (body, ctype) = if q.format.as_deref() == Some("rss") {
        (rss(feed, base), "application/rss+xml; charset=utf-8")
    } else {
        (atom(feed, base), "application/atom+xml; charset=utf-8")
    };
    Ok((
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        body,
    )
        .into_response())
}

async fn feed_newest(State(web): State<Web>, c: Ctx, Query(q): Query<FeedQuery>) -> PageResult {
    let title = format!("{} · {}", c.t("feed.newest"), c.t("site.name"));
    let feed = web.app.feed_newest(title).await.map_err(|e| c.err(e))?;
    feed_response(&web, &feed, &q)
}

async fn feed_tag(
    State(web): State<Web>,
    c: Ctx,
    Path(name): Path<String>,
    Query(q): Query<FeedQuery>,
) -> PageResult {
    let site = c.t("site.name");
    let feed = web
        .app
        .feed_tag(&name, |t| {
            format!("{} · {site}", c.tf("feed.tag", &[("tag", t)]))
        })
        .await
        .map_err(|e| c.err(e))?;
    feed_response(&web, &feed, &q)
}

async fn feed_question(
    State(web): State<Web>,
    c: Ctx,
    Path(id): Path<String>,
    Query(q): Query<FeedQuery>,
) -> PageResult {
    let id: i64 = id
        .parse()
        .map_err(|_| c.err(guildhall_domain::DomainError::NotFound("question")))?;
    let feed = web
        .app
        .feed_question(id, |t| c.tf("feed.answer_to", &[("title", t)]))
        .await
        .map_err(|e| c.err(e))?;
    feed_response(&web, &feed, &q)
}

async fn ask_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/ask.js"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        // 2026-11-21 12:34:56 UTC was a Saturday.
        assert_eq!(rfc3339(1_795_264_496), "2026-11-21T12:34:56Z");
        assert_eq!(rfc2822(1_795_264_496), "Sat, 21 Nov 2026 12:34:56 GMT");
        assert_eq!(rfc2822(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn escaping() {
        assert_eq!(
            xml_escape("<a href='x'>&\u{1}</a>"),
            "&lt;a href=&apos;x&apos;&gt;&amp;&lt;/a&gt;"
        );
    }
}
