//! A demo community, built through the same services a person uses (so
//! every reputation point in it comes from a real ledger row): members at
//! different reputation levels, questions in English and Chinese, answers,
//! comments, votes and accepted answers.

use crate::community::QuestionForm;
use crate::{App, Result, ServiceError};
use guildhall_domain::votes::VoteValue;
use guildhall_domain::Role;
use guildhall_storage::users::UserRecord;

pub const DEMO_PASSWORD: &str = "guildhall-demo";

const TAGS: &[(&str, &str)] = &[
    (
        "rust",
        "Rust, the systems programming language. 系统编程语言 Rust。",
    ),
    ("tokio", "The Tokio asynchronous runtime for Rust."),
    ("sqlite", "The embedded SQL database engine."),
    (
        "postgresql",
        "PostgreSQL, the open-source relational database.",
    ),
    (
        "async",
        "Asynchronous programming: futures, executors, await.",
    ),
    ("异步", "异步编程：Future、执行器与 await。"),
    ("数据库", "数据库设计、查询与调优。"),
    ("社区运营", "开发者社区的运营、指标与治理。"),
    ("hackathon", "Organizing and taking part in hackathons."),
    ("markdown", "The Markdown markup language."),
];

struct Q {
    asker: usize,
    title: &'static str,
    body: &'static str,
    tags: &'static str,
    /// (answerer, body)
    answers: &'static [(usize, &'static str)],
    /// index into answers of the accepted one
    accepted: Option<usize>,
}

const USERS: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "xiaoming", "lihua", "frank",
];

const QUESTIONS: &[Q] = &[
    Q {
        asker: 1,
        title: "How do I share a connection pool between axum handlers?",
        body: "I create a `sqlx::PgPool` in `main` and want every handler to use it.\n\nPassing it around by hand gets messy. What is the idiomatic way?\n\n```rust\nlet pool = PgPool::connect(&url).await?;\n```",
        tags: "rust tokio postgresql",
        answers: &[
            (0, "Put the pool in your router state: `Router::new().with_state(pool)`, then take `State(pool): State<PgPool>` in each handler. The pool is an `Arc` inside, so cloning it is cheap."),
            (2, "If you have more than the pool, wrap everything in an `AppState` struct and derive `Clone`. Use `FromRef` to extract just the pool where you need it."),
        ],
        accepted: Some(0),
    },
    Q {
        asker: 2,
        title: "Why does SQLite say database is locked under load?",
        body: "My service writes to SQLite from several tasks and sometimes fails with `database is locked`.\n\nI already enabled WAL. What else should I check?",
        tags: "sqlite rust",
        answers: &[
            (0, "WAL lets readers run beside one writer, but two writers still conflict. Set `busy_timeout`, and better: send every write through a single connection so they queue in your process instead of failing."),
            (3, "Also avoid upgrading a read transaction to a write one: start write transactions with `BEGIN IMMEDIATE`."),
            (4, "Check that you are not holding a transaction open across an `.await` that waits on the network."),
        ],
        accepted: Some(0),
    },
    Q {
        asker: 3,
        title: "What is the difference between tokio::spawn and spawn_blocking?",
        body: "When should I use `spawn_blocking` instead of `tokio::spawn`? I am hashing passwords with argon2 inside a request handler.",
        tags: "rust tokio async",
        answers: &[
            (0, "`tokio::spawn` runs a future on the async worker threads; it must not block. Password hashing is CPU-bound for tens of milliseconds, so run it in `spawn_blocking`, which uses a separate thread pool."),
            (1, "Rule of thumb: anything that takes more than ~100µs without an `.await` belongs in `spawn_blocking` or on a dedicated pool like rayon."),
        ],
        accepted: Some(0),
    },
    Q {
        asker: 0,
        title: "How can I render user Markdown safely on the server?",
        body: "Users write posts in Markdown. I render with pulldown-cmark, but I worry about `<script>` and `javascript:` links.\n\nWhat is a safe pipeline?",
        tags: "rust markdown",
        answers: &[
            (2, "Render to HTML, then sanitize the HTML with an allow-list (ammonia does this well). Allow only the tags Markdown produces, only http/https/mailto URLs, and add `rel=\"nofollow noopener\"` to links."),
        ],
        accepted: Some(0),
    },
    Q {
        asker: 4,
        title: "How do we pick judges and weights for a community hackathon?",
        body: "We are running our first hackathon with about 35 teams. How should we weight completion, creativity and practicality, and how do we stop one harsh judge from skewing results?",
        tags: "hackathon",
        answers: &[
            (5, "A common rubric: completion 40%, creativity 20%, practicality 20%, social value and theme fit 20%. Normalize each judge's scores (z-scores per judge) before averaging, and have judges declare conflicts of interest."),
            (1, "Pairwise judging (judges compare two projects at a time) is also worth a look: it avoids scale differences between judges entirely."),
        ],
        accepted: Some(0),
    },
    Q {
        asker: 5,
        title: "Rust 里 async 函数为什么不能直接递归？",
        body: "我写了一个异步函数递归调用自己，编译器报错说 future 的大小无法确定。\n\n应该怎么写？",
        tags: "rust 异步",
        answers: &[
            (0, "因为 async 函数返回的 Future 类型包含它自己，大小无限。把递归调用装箱即可：返回 `Pin<Box<dyn Future<Output = T> + Send>>`，或者使用 `Box::pin(async move { ... })`。"),
            (6, "新版本的 Rust 允许在 async fn 里递归，只要递归调用处用 `Box::pin` 包起来。"),
        ],
        accepted: Some(0),
    },
    Q {
        asker: 6,
        title: "PostgreSQL 和 SQLite 在并发写入上有什么区别？",
        body: "我们的社区系统默认用 SQLite，用户多了以后要换 PostgreSQL。两者在并发写入上的行为差别大吗？需要注意什么？",
        tags: "数据库 sqlite postgresql",
        answers: &[
            (2, "SQLite 同一时刻只有一个写事务，WAL 模式下读写可以并行；PostgreSQL 用行级锁，不同行的写入可以同时进行。迁移时要注意：在 PostgreSQL 上对同一行的并发更新需要先锁行（`SELECT ... FOR UPDATE` 或先 `UPDATE`），否则会出现重复计数。"),
            (3, "另外 SQLite 的类型是动态的，PostgreSQL 严格，SUM 之类的聚合结果类型也不同，写查询时要显式 CAST。"),
        ],
        accepted: Some(0),
    },
    Q {
        asker: 7,
        title: "怎样衡量一个开发者社区是否健康？",
        body: "老板只看注册人数和 star 数。有没有更靠谱的指标？比如北极星指标应该怎么选？",
        tags: "社区运营",
        answers: &[
            (6, "注册数和 star 都是虚荣指标。更好的是：活跃成员占比、问题的回答率和首次回答时间、贡献者从观望者到维护者的转化率。北极星指标要能反映用户获得的价值，例如“每周得到有效回答的问题数”。"),
            (5, "再看留存：按注册月份分组，看每组三个月后还活跃的比例。"),
        ],
        accepted: None,
    },
    Q {
        asker: 1,
        title: "Is it possible to write GFM tables in posts here?",
        body: "Does the editor support tables like this?\n\n| lang | runtime |\n|------|---------|\n| Rust | tokio |\n| Go | goroutines |",
        tags: "markdown",
        answers: &[],
        accepted: None,
    },
    Q {
        asker: 5,
        title: "如何给 SQLite 数据库做在线备份？",
        body: "服务一直在运行，我想每天备份一次 SQLite 文件，直接复制文件安全吗？",
        tags: "sqlite 数据库",
        answers: &[],
        accepted: None,
    },
];

/// (voter, question index, answer index or None for the question, value)
const VOTES: &[(usize, usize, Option<usize>, VoteValue)] = &[
    (2, 0, Some(0), VoteValue::Up),
    (5, 0, Some(0), VoteValue::Up),
    (6, 0, Some(0), VoteValue::Up),
    (0, 0, None, VoteValue::Up),
    (0, 1, Some(1), VoteValue::Up),
    (2, 1, Some(0), VoteValue::Up),
    (3, 1, Some(0), VoteValue::Up),
    (5, 1, Some(0), VoteValue::Up),
    (0, 2, Some(1), VoteValue::Up),
    (2, 2, Some(0), VoteValue::Up),
    (6, 2, Some(0), VoteValue::Up),
    (0, 3, Some(0), VoteValue::Up),
    (5, 3, Some(0), VoteValue::Up),
    (0, 4, Some(0), VoteValue::Up),
    (2, 4, Some(0), VoteValue::Up),
    (0, 5, Some(0), VoteValue::Up),
    (2, 5, Some(1), VoteValue::Up),
    (6, 5, None, VoteValue::Up),
    (0, 6, Some(0), VoteValue::Up),
    (5, 6, Some(0), VoteValue::Up),
    (0, 7, Some(0), VoteValue::Up),
    (2, 7, Some(0), VoteValue::Up),
    (0, 7, None, VoteValue::Up),
    (5, 1, None, VoteValue::Up),
    (2, 0, None, VoteValue::Up),
    (6, 3, None, VoteValue::Up),
    (0, 1, Some(2), VoteValue::Up),
];

const COMMENTS: &[(usize, usize, Option<usize>, &str)] = &[
    (
        1,
        0,
        Some(0),
        "Thanks, `with_state` was exactly what I was missing.",
    ),
    (3, 1, None, "Which sqlx version are you on?"),
    (0, 5, Some(1), "是的，Rust 1.77 起支持，但仍需要装箱。"),
    (
        4,
        4,
        Some(0),
        "We used z-scores last year and it worked well.",
    ),
];

impl App {
    /// Fill an empty database with the demo community. Returns false if
    /// there was already content.
    pub async fn seed_demo(&self) -> Result<bool> {
        if self.store.count_users().await? > 0 {
            return Ok(false);
        }
        let admin = self
            .create_active_user(
                "admin",
                "admin@guildhall.localhost",
                DEMO_PASSWORD,
                Role::Administrator,
            )
            .await?;
        for (name, desc) in TAGS {
            self.create_tag(&admin, name, desc).await?;
        }
        let mut users: Vec<UserRecord> = Vec::new();
        for name in USERS {
            users.push(
                self.create_active_user(
                    name,
                    &format!("{name}@guildhall.localhost"),
                    DEMO_PASSWORD,
                    Role::User,
                )
                .await?,
            );
        }
        // The demo's history is an established community's: its posts are
        // published as if reviewed long ago. New posts after seeding go
        // through review as usual.
        let saved = self.settings();
        let mut quiet = (*saved).clone();
        quiet.review.first_questions_reviewed = 0;
        quiet.review.first_answers_reviewed = 0;
        quiet.review.late_answer_days = 36_500;
        self.set_settings_in_memory(quiet);
        let seeded = self.seed_history(&users).await;
        self.set_settings_in_memory((*saved).clone());
        seeded?;
        // A newcomer whose first question waits in the review center.
        let newcomer = self
            .create_active_user(
                "newbie",
                "newbie@guildhall.localhost",
                DEMO_PASSWORD,
                Role::User,
            )
            .await?;
        let form = QuestionForm {
            title: "How do I read a file line by line in Rust?".into(),
            body: "I am new to Rust. I want to read a large log file line by line without loading all of it into memory. What is the usual way?".into(),
            tags: "rust".into(),
        };
        self.ask(&newcomer, &form).await?;
        // The demo's analytics are a bonus: a machine without a writable
        // temporary directory still gets the community.
        if let Err(e) = self.seed_demo_analytics().await {
            tracing::warn!(error = %e, "demo analytics left out");
        }
        self.run_badge_job().await?;
        Ok(true)
    }

    /// Four months of the demo organisation's GitHub activity, imported and
    /// computed as `guildhall analytics import` and `compute` would do it.
    async fn seed_demo_analytics(&self) -> Result<()> {
        use crate::analytics::{ImportOptions, Input};
        // A name of its own: the importer maps the file into memory, and
        // another seeding (tests seed several communities at once) must not
        // replace or remove it meanwhile.
        static SEEDINGS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SEEDINGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let t = guildhall_storage::now();
        let path = std::env::temp_dir().join(format!(
            "guildhall-demo-events-{}-{n}-{t}.json",
            std::process::id()
        ));
        std::fs::write(&path, crate::demo_events::demo_events(t))
            .map_err(|e| ServiceError::Internal(format!("demo events: {e}")))?;
        let imported = self
            .analytics_import(
                vec![Input::File(path.clone())],
                ImportOptions::default(),
                std::sync::Arc::new(|_| {}),
            )
            .await;
        let _ = std::fs::remove_file(&path);
        imported?;
        self.analytics_compute(None).await?;
        Ok(())
    }

    async fn seed_history(&self, users: &[UserRecord]) -> Result<()> {
        let refresh = |app: &App, id: i64| {
            let app = app.clone();
            async move {
                app.store
                    .user_by_id(id)
                    .await
                    .map(|u| u.expect("demo user"))
            }
        };
        let mut ids: Vec<(i64, Vec<i64>)> = Vec::new();
        for q in QUESTIONS {
            let asker = refresh(self, users[q.asker].id).await?;
            let form = QuestionForm {
                title: q.title.into(),
                body: q.body.into(),
                tags: q.tags.into(),
            };
            let qid = self.ask(&asker, &form).await?;
            let mut answer_ids = Vec::new();
            for (who, body) in q.answers {
                let u = refresh(self, users[*who].id).await?;
                answer_ids.push(self.answer(&u, qid, body).await?);
            }
            if let Some(a) = q.accepted {
                self.accept(&asker, qid, Some(answer_ids[a])).await?;
            }
            ids.push((qid, answer_ids));
        }
        for (voter, qi, ai, value) in VOTES {
            let v = refresh(self, users[*voter].id).await?;
            let post = ai.map(|a| ids[*qi].1[a]).unwrap_or(ids[*qi].0);
            // Refusals (e.g. a voter still below the up-vote privilege) are part of life.
            if let Err(e) = self.vote(&v, post, *value).await {
                tracing::debug!(error = %e, "demo vote refused");
            }
        }
        for (who, qi, ai, body) in COMMENTS {
            let u = refresh(self, users[*who].id).await?;
            let post = ai.map(|a| ids[*qi].1[a]).unwrap_or(ids[*qi].0);
            self.comment(&u, post, body).await?;
        }
        Ok(())
    }
}
