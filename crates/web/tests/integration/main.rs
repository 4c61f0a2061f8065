//! HTTP tests: the router driven in-process (tower `oneshot`), as a
//! browser or an API client would use it.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use guildhall_domain::Role;
use guildhall_services::community::QuestionForm;
use guildhall_services::{App, ServiceConfig};
use guildhall_storage::Store;
use http_body_util::BodyExt;
use tower::ServiceExt;

mod bad_input;
mod catalogue;
mod journeys;
mod search;

pub struct World {
    pub app: App,
    pub router: Router,
    _dir: tempfile::TempDir,
}

pub async fn world() -> World {
    // Removed when the world is dropped, also when the test fails.
    let dir = tempfile::Builder::new()
        .prefix("guildhall-web-")
        .tempdir()
        .expect("temporary directory");
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    store.migrate().await.unwrap();
    let app = App::new(store, ServiceConfig::default()).await.unwrap();
    app.seed_demo().await.unwrap();
    World {
        router: guildhall_web::router(app.clone()),
        app,
        _dir: dir,
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    /// The session a response hands the browser (a login, a new password).
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                c.strip_prefix("gh_session=")
                    .map(|v| v.split(';').next().unwrap().to_string())
            })
    }
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A browser: keeps its session and CSRF cookies.
#[derive(Clone, Default)]
pub struct Browser {
    pub session: Option<String>,
    pub csrf: String,
    pub lang: Option<String>,
}

impl World {
    pub async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A browser that visited the home page (so it has a CSRF cookie).
    pub async fn browser(&self) -> Browser {
        let r = self
            .send(Request::get("/").body(Body::empty()).unwrap())
            .await;
        let csrf = r
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| {
                c.strip_prefix("gh_csrf=")
                    .map(|v| v.split(';').next().unwrap().to_string())
            })
            .expect("csrf cookie");
        Browser {
            session: None,
            csrf,
            lang: None,
        }
    }

    pub async fn login(&self, name: &str) -> Browser {
        let mut b = self.browser().await;
        let r = self
            .post_form(
                &b,
                "/login",
                &[
                    ("login", name),
                    ("password", guildhall_services::demo::DEMO_PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        b.session = r.session_cookie();
        b
    }

    fn cookies(b: &Browser) -> String {
        let mut c = format!("gh_csrf={}", b.csrf);
        if let Some(s) = &b.session {
            c.push_str(&format!("; gh_session={s}"));
        }
        if let Some(l) = &b.lang {
            c.push_str(&format!("; gh_lang={l}"));
        }
        c
    }

    pub async fn get(&self, b: &Browser, path: &str) -> Resp {
        self.send(
            Request::get(path)
                .header(header::COOKIE, Self::cookies(b))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// POST a form with the browser's CSRF token added.
    pub async fn post_form(&self, b: &Browser, path: &str, fields: &[(&str, &str)]) -> Resp {
        let mut all: Vec<(&str, &str)> = vec![("csrf", b.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(b, path, &encode(&all)).await
    }

    pub async fn post_raw(&self, b: &Browser, path: &str, body: &str) -> Resp {
        self.send(
            Request::post(path)
                .header(header::COOKIE, Self::cookies(b))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    /// An API call with a bearer token.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let mut r = Request::builder()
            .method(method)
            .uri(format!("/api/v1{path}"))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = body
            .map(|b| Body::from(b.to_string()))
            .unwrap_or_else(Body::empty);
        self.send(r.body(body).unwrap()).await
    }

    pub async fn token(&self, name: &str) -> String {
        let r = self
            .api("POST", "/session", None, Some(serde_json::json!({"login": name, "password": guildhall_services::demo::DEMO_PASSWORD})))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        r.json()["token"].as_str().unwrap().to_string()
    }

    pub async fn question_by(&self, name: &str, title: &str) -> i64 {
        let u = self
            .app
            .store
            .user_by_username(name)
            .await
            .unwrap()
            .unwrap();
        let f = QuestionForm {
            title: title.into(),
            body: "A body long enough for validation.".into(),
            tags: "rust".into(),
        };
        self.app.ask(&u, &f).await.unwrap()
    }

    pub async fn fresh_user(&self, name: &str) -> guildhall_storage::users::UserRecord {
        self.app
            .create_active_user(
                name,
                &format!("{name}@test.localhost"),
                guildhall_services::demo::DEMO_PASSWORD,
                Role::User,
            )
            .await
            .unwrap()
    }
}

/// `s` encoded for a query string.
pub fn q(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn encode(fields: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}
