//! Page models: one askama template struct per page. Templates live in
//! `templates/`; every visible string comes from the catalogue via `t`.

use crate::ctx::Ctx;
use askama::Template;
use guildhall_domain::{CommunitySettings, Privilege, Role};
use guildhall_i18n::{t, tf, Lang};
use guildhall_services::community::{Profile, QuestionList, RevisionView};
use guildhall_services::storage::content::{PostRecord, QuestionPage};
use guildhall_services::storage::users::UserRecord;

/// What the layout needs: language, the member, the CSRF token.
pub struct Chrome {
    pub lang: Lang,
    pub user: Option<UserRecord>,
    pub csrf: String,
    pub path: String,
    pub unread: i64,
    pub settings: std::sync::Arc<CommunitySettings>,
    login_href: String,
}

impl Chrome {
    pub fn from_ctx(c: &Ctx) -> Chrome {
        Chrome {
            lang: c.lang,
            user: c.user.clone(),
            csrf: c.csrf.clone(),
            path: c.path.clone(),
            unread: c.unread,
            settings: c.settings.clone(),
            login_href: match c.user {
                Some(_) => "/login".into(),
                None => login_href_for(&c.path),
            },
        }
    }
    /// A directory's address (`/tags`, `/users`) for a sort, the filter
    /// typed and a page (the first when `None`).
    pub fn directory_link(
        &self,
        base: &str,
        sort: &str,
        filter: &str,
        page: Option<i64>,
    ) -> String {
        let page = page.map(|p| format!("&page={p}")).unwrap_or_default();
        format!("{base}?sort={sort}&filter={}{page}", url_encode(filter))
    }
    /// What forms accept (maxlength and minlength follow the settings).
    pub fn limits(&self) -> &guildhall_domain::validation::ContentLimits {
        &self.settings.limits
    }
    pub fn is_staff(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.is_staff())
    }
    /// A duration as "5 min", "3 h", "2 d" in the page's language.
    pub fn age(&self, secs: impl std::borrow::Borrow<i64>) -> String {
        let s = (*secs.borrow()).max(0);
        let (key, n) = if s < 3600 {
            ("age.minutes", s / 60)
        } else if s < 86_400 {
            ("age.hours", s / 3600)
        } else {
            ("age.days", s / 86_400)
        };
        self.tf1(key, "n", &n.to_string())
    }
    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }
    pub fn tf1(&self, key: &str, name: &str, value: &str) -> String {
        tf(self.lang, key, &[(name, value)])
    }
    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        tf(self.lang, key, args)
    }
    /// `one` for a count of exactly 1, else `many` (Chinese uses the same
    /// word for both).
    pub fn counted(&self, n: &i64, one: &str, many: &str) -> &'static str {
        self.t(if *n == 1 { one } else { many })
    }
    pub fn password_help(&self) -> String {
        let min = self.password_min().to_string();
        self.tf1("auth.password_help", "min", &min)
    }
    pub fn password_min(&self) -> i64 {
        guildhall_domain::validation::PASSWORD_LEN.0
    }
    pub fn username_max(&self) -> i64 {
        guildhall_domain::validation::USERNAME_LEN.1
    }
    pub fn username_help(&self) -> String {
        let (min, max) = guildhall_domain::validation::USERNAME_LEN;
        let (min, max) = (min.to_string(), max.to_string());
        self.tf("auth.username_help", &[("min", &min), ("max", &max)])
    }
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }
    pub fn is_admin(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.role == Role::Administrator)
    }
    /// The current path with `lang=` set, for the language switch.
    pub fn switch_to(&self, code: &str) -> String {
        let (path, query) = self.path.split_once('?').unwrap_or((&self.path, ""));
        let mut q: Vec<String> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("lang="))
            .map(str::to_string)
            .collect();
        q.push(format!("lang={code}"));
        format!(
            "/lang/{code}?next={}",
            url_encode(&format!("{path}?{}", q.join("&")))
        )
    }
    /// The "log in" link (worked out once a page: an anonymous question
    /// page names it beside every vote arrow).
    pub fn login_href(&self) -> &str {
        &self.login_href
    }
    pub fn time(&self, ts: &i64) -> String {
        format_time(*ts)
    }
    pub fn role_label(&self, r: &Role) -> &'static str {
        self.t(&format!("role.{}", r.as_str()))
    }
}

/// The "log in" link for a page at `path`: it brings the member back to
/// the page, unless it is the front page or one of the account pages.
fn login_href_for(path_and_query: &str) -> String {
    let path = path_and_query.split('?').next().unwrap_or("");
    let account_page = [
        "/login",
        "/logout",
        "/register",
        "/forgot",
        "/reset",
        "/activate",
        "/password-reset",
        "/resend-activation",
    ]
    .iter()
    .any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    });
    if path == "/" || account_page || local_path(path_and_query).is_none() {
        "/login".into()
    } else {
        format!("/login?next={}", url_encode(path_and_query))
    }
}

/// `s` percent-encoded for a query string or a path segment.
pub fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `next` when it names a page of this site, for redirects after a login
/// or a language switch; `None` for anything a browser could read as
/// another host (`//host`, `/\host`: browsers treat `\` as `/`) or with
/// control characters.
pub fn local_path(next: &str) -> Option<&str> {
    let other_host = next.strip_prefix('/')?.starts_with('/');
    let odd = next.chars().any(|c| c.is_control() || c == '\\');
    (!other_host && !odd).then_some(next)
}

/// A UTC timestamp as (year, month, day, hour, minute, second, weekday
/// with 0 = Sunday): the days-from-civil inverse of H. Hinnant.
pub fn civil(ts: i64) -> (i64, i64, i64, i64, i64, i64, i64) {
    let days = ts.div_euclid(86_400);
    let secs = ts.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let weekday = (days + 4).rem_euclid(7);
    (y, m, d, secs / 3600, secs / 60 % 60, secs % 60, weekday)
}

/// `YYYY-MM-DD HH:MM` in UTC.
pub fn format_time(ts: i64) -> String {
    let (y, m, d, h, mi, _, _) = civil(ts);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}")
}

pub fn slug(title: &str) -> String {
    let s: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    s.chars().take(60).collect()
}

pub fn question_url(p: &PostRecord) -> String {
    let id = if p.kind == guildhall_domain::votes::PostKind::Answer {
        p.question_id.unwrap_or(p.id)
    } else {
        p.id
    };
    format!("/questions/{id}")
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub chrome: Chrome,
    pub status: u16,
    pub message: String,
}

impl ErrorPage {
    pub fn new(lang: Lang, status: u16, message: String) -> ErrorPage {
        ErrorPage {
            chrome: Chrome {
                lang,
                user: None,
                csrf: String::new(),
                path: "/".into(),
                unread: 0,
                settings: Default::default(),
                login_href: "/login".into(),
            },
            status,
            message,
        }
    }
}

pub struct SortTab {
    pub key: &'static str,
    pub label: &'static str,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub heading: String,
    pub tag: Option<guildhall_services::search::TagDetail>,
    /// The viewer may add and remove the tag's synonyms.
    pub can_cleanup: bool,
    /// The list's Atom feed.
    pub feed: Option<String>,
    pub list: QuestionList,
    pub tabs: Vec<SortTab>,
    pub base: String,
    pub sort: String,
}

impl ListPage {
    pub fn page_link(&self, page: i64) -> String {
        format!("{}?sort={}&page={page}", self.base, self.sort)
    }
    pub fn followers(&self, n: &i64) -> String {
        self.chrome.tf1("tags.followers", "count", &n.to_string())
    }
}

#[derive(Template)]
#[template(path = "question.html")]
pub struct QuestionView {
    pub chrome: Chrome,
    pub page: QuestionPage,
    pub is_asker: bool,
    pub see_vote_counts: bool,
    pub draft: String,
    pub error: Option<String>,
    /// Open close / reopen / delete items on the question.
    pub disputes: Vec<guildhall_services::storage::review::ReviewItem>,
    /// The viewer may cast close / reopen / delete votes.
    pub can_dispute: bool,
    pub close_reasons: Vec<&'static str>,
    pub flag_kinds: Vec<&'static str>,
}

impl QuestionView {
    /// "2 of 3 close votes" for an open dispute of this kind, if any.
    pub fn dispute_progress(&self, queue: &str) -> Option<String> {
        let item = self.disputes.iter().find(|i| i.queue.key() == queue)?;
        Some(guildhall_i18n::tf(
            self.chrome.lang,
            &format!("dispute.progress.{queue}"),
            &[
                ("n", &item.votes.len().to_string()),
                ("needed", &item.thresholds.approve.to_string()),
            ],
        ))
    }
    pub fn close_reason_label(&self, r: &str) -> &'static str {
        self.chrome.t(&format!("review.reason.{r}"))
    }
    pub fn flag_label(&self, k: &str) -> &'static str {
        self.chrome.t(&format!("flag.{k}"))
    }
    pub fn status_label(&self, status: &i64) -> &'static str {
        self.chrome.t(&format!("post.status.{status}"))
    }
    pub fn can_delete_vote(&self, p: &PostRecord) -> bool {
        self.can_dispute
            && (p.closed_at.is_some() || p.score < 0)
            && p.deleted_at.is_none()
            && self
                .chrome
                .user
                .as_ref()
                .is_some_and(|u| u.id != p.author_id)
    }
    pub fn is_accepted(&self, post_id: &i64) -> bool {
        self.page.question.accepted_answer_id == Some(*post_id)
    }
    pub fn my_vote(&self, post_id: &i64) -> i64 {
        self.page.my_votes.get(post_id).copied().unwrap_or(0)
    }
    pub fn comments_of(
        &self,
        post_id: &i64,
    ) -> Vec<&guildhall_services::storage::content::CommentRecord> {
        self.page
            .comments
            .iter()
            .filter(|c| c.post_id == *post_id)
            .collect()
    }
    /// The same rule the service applies (its author, or a moderator).
    pub fn can_delete_comment(
        &self,
        c: &guildhall_services::storage::content::CommentRecord,
    ) -> bool {
        self.chrome.user.as_ref().is_some_and(|u| {
            guildhall_domain::moderation::may_delete_comment(&u.actor(), c.author_id).is_ok()
        })
    }
    pub fn can_edit(&self, p: &PostRecord) -> bool {
        self.chrome
            .user
            .as_ref()
            .is_some_and(|u| u.id == p.author_id || u.role.is_staff())
    }
    /// "Asked … · Active … · Viewed N times".
    pub fn question_meta(&self) -> String {
        let q = &self.page.question;
        let (asked, active) = (format_time(q.created_at), format_time(q.last_activity_at));
        let views = q.view_count.to_string();
        self.chrome.tf(
            "q.meta",
            &[("asked", &asked), ("active", &active), ("views", &views)],
        )
    }
    pub fn bookmark_label(&self) -> &'static str {
        let key = if self.page.bookmarked {
            "q.unbookmark"
        } else {
            "q.bookmark"
        };
        self.chrome.t(key)
    }
    pub fn bookmarks_title(&self) -> String {
        let n = self.page.bookmarks.to_string();
        self.chrome.tf1("q.bookmarks", "count", &n)
    }
    pub fn answers_heading(&self) -> String {
        self.chrome.tf1(
            "q.answers_heading",
            "count",
            &self.page.answers.len().to_string(),
        )
    }
}

#[derive(Template)]
#[template(path = "ask.html")]
pub struct AskPage {
    pub chrome: Chrome,
    /// How many tags a question takes (administrator's limits).
    pub tags_help: String,
    pub heading: &'static str,
    pub action: String,
    pub is_question: bool,
    pub is_edit: bool,
    pub title: String,
    pub body: String,
    pub tags: String,
    pub comment: String,
    pub error: Option<String>,
    pub similar: Vec<guildhall_services::search::Similar>,
}

#[derive(Template)]
#[template(path = "history.html")]
pub struct HistoryPage {
    pub chrome: Chrome,
    pub post: PostRecord,
    pub revisions: Vec<RevisionView>,
    pub can_edit: bool,
}

impl HistoryPage {
    pub fn kind_label(&self, r: &RevisionView) -> String {
        match (r.revision.kind.as_str(), r.revision.rolled_back_to) {
            ("rollback", Some(to)) => {
                self.chrome
                    .tf1("history.kind.rollback", "rev", &to.to_string())
            }
            ("initial", _) => self.chrome.t("history.kind.initial").to_string(),
            _ => self.chrome.t("history.kind.edit").to_string(),
        }
    }
    pub fn rev_label(&self, rev: &i64) -> String {
        self.chrome.tf1("history.rev", "rev", &rev.to_string())
    }
    pub fn changed(&self, diff: &[guildhall_services::community::DiffLine]) -> bool {
        diff.iter().any(|d| d.op != "same")
    }
    pub fn back(&self) -> String {
        question_url(&self.post)
    }
}

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub chrome: Chrome,
    pub profile: Profile,
}

impl ProfilePage {
    pub fn reason_label(&self, key: &str) -> &'static str {
        self.chrome.t(&format!("reason.{key}"))
    }
    pub fn privilege_label(&self, p: &Privilege) -> &'static str {
        self.chrome.t(&format!("privilege.{}", p.key()))
    }
    pub fn heading(&self) -> String {
        self.chrome
            .tf1("profile.title", "name", &self.profile.user.username)
    }
    pub fn capped_note(&self, requested: &i64) -> String {
        self.chrome
            .tf1("profile.requested", "requested", &requested.to_string())
    }
    pub fn url(&self, p: &PostRecord) -> String {
        question_url(p)
    }
    pub fn badge_name(&self, d: &guildhall_domain::badges::BadgeDef) -> String {
        crate::review::badge_name(self.chrome.lang, d)
    }
    pub fn is_me(&self) -> bool {
        self.chrome
            .user
            .as_ref()
            .is_some_and(|u| u.id == self.profile.user.id)
    }
    pub fn suspended(&self) -> bool {
        self.profile
            .user
            .sanctions()
            .suspended_at(guildhall_services::storage::now())
    }
    pub fn suspension_note(&self) -> String {
        self.chrome.tf1(
            "profile.suspended_until",
            "until",
            &format_time(self.profile.user.suspended_until.unwrap_or(0)),
        )
    }
    pub fn capabilities(&self) -> Vec<(&'static str, &'static str, bool)> {
        let blocked = self.profile.user.sanctions().blocked;
        guildhall_domain::moderation::Capability::ALL
            .iter()
            .map(|c| {
                (
                    c.key(),
                    self.chrome.t(&format!("capability.{}", c.key())),
                    blocked.contains(c),
                )
            })
            .collect()
    }
}

/// Register, log in, forgot, reset, and plain message pages.
#[derive(Template)]
#[template(path = "auth.html")]
pub struct AuthPage {
    pub chrome: Chrome,
    pub kind: &'static str,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub username: String,
    pub email: String,
    pub login: String,
    pub token: String,
    /// Where a login goes afterwards (a local path, or empty for home).
    pub next: String,
}

impl AuthPage {
    pub fn new(c: &Ctx, kind: &'static str) -> AuthPage {
        AuthPage {
            chrome: Chrome::from_ctx(c),
            kind,
            error: None,
            notice: None,
            username: String::new(),
            email: String::new(),
            login: String::new(),
            token: String::new(),
            next: String::new(),
        }
    }
}

pub struct ThresholdRow {
    pub key: &'static str,
    pub label: &'static str,
    pub value: i64,
}

pub struct ReviewRow {
    pub key: String,
    pub label: &'static str,
    pub value: i64,
}

/// A search rule on the settings form (`SearchRules`; fractions allowed).
pub struct SearchRow {
    pub key: String,
    pub label: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
pub struct AdminPage {
    pub chrome: Chrome,
    pub settings: CommunitySettings,
    pub thresholds: Vec<ThresholdRow>,
    pub amounts: Vec<ThresholdRow>,
    pub review: Vec<ReviewRow>,
    pub search: Vec<SearchRow>,
    pub users: Vec<UserRecord>,
    pub notice: Option<String>,
    pub error: Option<String>,
    pub presets: Vec<(&'static str, &'static str, bool)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_site_s_paths_are_followed() {
        for ok in [
            "/",
            "/review",
            "/questions?sort=votes&page=2",
            "/tags/c%2B%2B",
        ] {
            assert_eq!(local_path(ok), Some(ok));
        }
        for bad in [
            "",
            "review",
            "//evil.example",
            "/\\evil.example",
            "/a\\b",
            "https://evil.example",
            "/a\r\nLocation: x",
            "/a\tb",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}

#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub dir: guildhall_services::accounts::MemberDirectory,
    pub tabs: Vec<SortTab>,
}

impl UsersPage {
    pub fn posts(&self, m: &guildhall_services::storage::users::MemberCard) -> String {
        let (q, a) = (m.questions.to_string(), m.answers.to_string());
        self.chrome.tf(
            "users.posts",
            &[("questions", q.as_str()), ("answers", a.as_str())],
        )
    }
    pub fn joined(&self, m: &guildhall_services::storage::users::MemberCard) -> String {
        let (y, mo, d, ..) = civil(m.created_at);
        let date = format!("{y:04}-{mo:02}-{d:02}");
        self.chrome.tf1("users.joined", "date", &date)
    }
}
