//! Synthetic data for benchmarks: many members, questions, answers and
//! comments, inserted in large batches. Content is generated from a small
//! vocabulary (English and Chinese); there are no votes, so every cache
//! stays equal to its (empty) ledgers.

use crate::{now, Result, Store};

// A few hundred words per language, drawn with Zipf's law (the n-th most
// common word n times rarer than the first), as real text is: a search
// benchmark over a uniform 30-word vocabulary would match half of
// everything.
#[rustfmt::skip]
const EN: &[&str] = &["rust", "async", "runtime", "pool", "connection", "database", "query", "index", "latency", "server", "thread", "memory", "cache", "lock", "transaction", "vote", "reputation", "community", "review", "tag", "error", "build", "compile", "test", "deploy", "network", "socket", "buffer", "stream", "parser", "tokio", "axum", "sqlx", "postgres", "sqlite", "redis", "docker", "kubernetes", "linux", "kernel", "timeout", "retry", "request", "response", "header", "cookie", "session", "token", "password", "hash", "encrypt", "certificate", "proxy", "gateway", "router", "handler", "middleware", "trait", "lifetime", "borrow", "closure", "iterator", "vector", "string", "slice", "struct", "enum", "match", "macro", "generic", "future", "await", "spawn", "channel", "mutex", "atomic", "arc", "clone", "serialize", "json", "yaml", "config", "environment", "variable", "log", "metric", "trace", "span", "panic", "unwrap", "result", "option", "file", "path", "directory", "permission", "process", "signal", "pipe", "terminal", "shell", "script", "python", "javascript", "typescript", "node", "react", "component", "state", "hook", "render", "template", "html", "css", "layout", "browser", "fetch", "upload", "download", "image", "video", "audio", "codec", "compress", "archive", "backup", "restore", "migrate", "schema", "column", "row", "table", "join", "select", "insert", "update", "delete", "commit", "rollback", "replica", "shard", "partition", "queue", "worker", "scheduler", "cron", "job", "batch", "event", "webhook", "api", "endpoint", "client", "library", "crate", "package", "version", "release", "dependency", "feature", "flag", "benchmark", "profile", "flamegraph", "allocation", "leak", "garbage", "collector", "pointer", "reference", "heap", "stack", "overflow", "recursion", "algorithm", "sort", "search", "tree", "graph", "map", "set", "eviction", "ttl", "expiry", "throughput", "bandwidth", "packet", "tcp", "udp", "http", "grpc", "websocket", "tls", "dns", "load", "balancer", "cluster", "pod", "container", "volume", "secret", "ingress", "service", "mesh", "monitoring", "alert", "dashboard", "incident", "outage",];
#[rustfmt::skip]
const ZH: &[&str] = &["异步", "连接池", "数据库", "索引", "延迟", "服务器", "线程", "内存", "缓存", "事务", "投票", "声望", "社区", "审核", "标签", "错误", "编译", "测试", "部署", "网络", "超时", "重试", "请求", "响应", "会话", "令牌", "密码", "加密", "证书", "代理", "网关", "路由", "中间件", "生命周期", "借用", "闭包", "迭代器", "字符串", "结构体", "枚举", "宏", "泛型", "通道", "互斥锁", "原子", "序列化", "配置", "环境变量", "日志", "指标", "追踪", "文件", "路径", "目录", "权限", "进程", "信号", "管道", "终端", "脚本", "组件", "状态", "模板", "浏览器", "上传", "下载", "图片", "视频", "压缩", "备份", "恢复", "迁移", "表结构", "字段", "查询", "插入", "更新", "删除", "提交", "回滚", "副本", "分片", "分区", "队列", "任务", "调度", "批处理", "事件", "接口", "客户端", "依赖", "版本", "发布", "特性", "基准", "性能", "分析", "内存泄漏", "垃圾回收", "指针", "引用", "堆栈", "溢出", "递归", "算法", "排序", "搜索", "哈希", "集群", "节点", "容器", "镜像", "监控", "告警", "故障", "负载均衡", "吞吐量", "带宽", "协议", "并发", "锁竞争", "死锁", "读写分离", "主从复制", "全文检索", "分词", "中文", "英文", "编码", "乱码", "时区", "日期", "格式", "正则", "表达式", "单元测试", "集成测试", "持续集成", "代码审查", "重构", "文档", "开源", "贡献者", "维护者", "许可证", "安全", "漏洞", "补丁", "升级", "兼容", "配置文件", "命令行", "参数",];

/// A seeded generator for synthetic data (benchmarks, the demo): the same
/// seed gives the same data every time.
pub struct Rng(pub u64);
impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        // xorshift64*: deterministic, good enough for test data.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Cumulative Zipf weights for a vocabulary of `n` words.
fn zipf(n: usize) -> Vec<f64> {
    let mut acc = 0.0;
    (1..=n)
        .map(|k| {
            acc += 1.0 / k as f64;
            acc
        })
        .collect()
}

fn pick<'a>(r: &mut Rng, words: &[&'a str], cumulative: &[f64]) -> &'a str {
    let total = cumulative[cumulative.len() - 1];
    let x = (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
    words[cumulative.partition_point(|&c| c < x).min(words.len() - 1)]
}

fn sentence(r: &mut Rng, words: usize) -> String {
    thread_local! {
        static WEIGHTS: (Vec<f64>, Vec<f64>) = (zipf(EN.len()), zipf(ZH.len()));
    }
    let zh = r.below(2) == 0;
    let mut s = String::new();
    WEIGHTS.with(|(en, zh_w)| {
        for i in 0..words {
            if zh {
                s.push_str(pick(r, ZH, zh_w));
            } else {
                if i > 0 {
                    s.push(' ');
                }
                s.push_str(pick(r, EN, en));
            }
        }
    });
    s
}

/// The vocabulary the benchmark corpus is drawn from, most common first.
pub fn vocabulary() -> (&'static [&'static str], &'static [&'static str]) {
    (EN, ZH)
}

impl Store {
    async fn insert_batches(&self, head: &str, rows: &[String]) -> Result<()> {
        for chunk in rows.chunks(500) {
            let sql = format!("{head} VALUES {}", chunk.join(","));
            sqlx::raw_sql(&sql).execute(&self.write).await?;
        }
        Ok(())
    }

    /// Generate a community: `questions` questions with `answers` answers
    /// each (question 1 gets 20 answers and 10 comments, the page the
    /// benchmark reads), `comments` comments per post. Returns the posts made and the id of the
    /// question with 20 answers.
    pub async fn bench_seed(
        &self,
        questions: i64,
        answers: i64,
        comments: i64,
    ) -> Result<(i64, i64)> {
        let mut r = Rng(0x9E37_79B9_7F4A_7C15);
        let t0 = now() - 86_400 * 365;
        let users = (questions / 20).clamp(50, 50_000);
        let base_user: i64 = {
            use crate::RowExt;
            sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM users")
                .fetch_one(self.reader())
                .await?
                .i("m")
        };
        // Members (password hash is not a valid argon2 string: they cannot log in).
        let rows: Vec<String> = (1..=users)
            .map(|i| {
                let id = base_user + i;
                format!("({id}, 'bench{id}', 'bench{id}', 'bench{id}@bench.localhost', '!', 'user', {t0}, {t0}, 1)")
            })
            .collect();
        self.insert_batches("INSERT INTO users (id, username, username_key, email, password_hash, role, created_at, activated_at, reputation)", &rows)
            .await?;
        let tags: Vec<String> = EN.iter().chain(ZH).map(|t| format!("bench-{t}")).collect();
        let base_tag: i64 = {
            use crate::RowExt;
            sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM tags")
                .fetch_one(self.reader())
                .await?
                .i("m")
        };
        let rows: Vec<String> = tags
            .iter()
            .enumerate()
            .map(|(i, t)| format!("({}, '{t}', '', 0, {t0})", base_tag + 1 + i as i64))
            .collect();
        self.insert_batches(
            "INSERT INTO tags (id, name, description, question_count, created_at)",
            &rows,
        )
        .await?;
        let base_post: i64 = {
            use crate::RowExt;
            sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS m FROM posts")
                .fetch_one(self.reader())
                .await?
                .i("m")
        };
        let mut next_post = base_post;
        let mut made = 0i64;
        let mut q_rows = Vec::new();
        let mut a_rows = Vec::new();
        let mut pt_rows = Vec::new();
        let mut c_rows = Vec::new();
        let mut rev_rows = Vec::new();
        let flush = |q: &mut Vec<String>,
                     a: &mut Vec<String>,
                     pt: &mut Vec<String>,
                     c: &mut Vec<String>,
                     rv: &mut Vec<String>| {
            (
                std::mem::take(q),
                std::mem::take(a),
                std::mem::take(pt),
                std::mem::take(c),
                std::mem::take(rv),
            )
        };
        for qi in 0..questions {
            next_post += 1;
            let qid = next_post;
            let n_answers = if qi == 0 { 20 } else { answers };
            let n_comments = if qi == 0 { 10 } else { comments };
            let author = base_user + 1 + r.below(users as u64) as i64;
            let created = t0 + qi * 300;
            let title = sentence(&mut r, 8);
            let body = format!("{}\n\n{}", sentence(&mut r, 40), sentence(&mut r, 30));
            let html = format!("<p>{}</p>", body.replace("\n\n", "</p>\n<p>"));
            let t1 = base_tag + 1 + r.below(tags.len() as u64) as i64;
            let t2 = base_tag + 1 + (t1 - base_tag) % tags.len() as i64;
            let tag_names = format!(
                "{} {}",
                tags[(t1 - base_tag - 1) as usize],
                tags[(t2 - base_tag - 1) as usize]
            );
            q_rows.push(format!(
                "({qid}, 1, NULL, {author}, '{title}', '{body}', '{html}', '{tag_names}', {n_answers}, {n_comments}, {created}, {created})"
            ));
            rev_rows.push(format!(
                "({qid}, 1, {author}, 'initial', '{title}', '{body}', '{tag_names}', {created})"
            ));
            pt_rows.push(format!("({qid}, {t1})"));
            pt_rows.push(format!("({qid}, {t2})"));
            for ci in 0..n_comments {
                let who = base_user + 1 + r.below(users as u64) as i64;
                let text = sentence(&mut r, 10);
                c_rows.push(format!(
                    "({qid}, {who}, '{text}', '<p>{text}</p>', {})",
                    created + 60 + ci
                ));
            }
            for ai in 0..n_answers {
                next_post += 1;
                let aid = next_post;
                let who = base_user + 1 + r.below(users as u64) as i64;
                let body = format!(
                    "{}\n\n```\n{}\n```",
                    sentence(&mut r, 50),
                    sentence(&mut r, 6)
                );
                let html = format!("<p>{}</p>", body.replace("\n\n", "</p>\n<p>"));
                let at = created + 120 + ai * 30;
                let nc = if qi == 0 { 0 } else { n_comments.min(1) };
                a_rows.push(format!(
                    "({aid}, 2, {qid}, {who}, '', '{body}', '{html}', '', 0, {nc}, {at}, {at})"
                ));
                rev_rows.push(format!(
                    "({aid}, 1, {who}, 'initial', '', '{body}', '', {at})"
                ));
                if nc > 0 {
                    let text = sentence(&mut r, 8);
                    c_rows.push(format!(
                        "({aid}, {who}, '{text}', '<p>{text}</p>', {})",
                        at + 5
                    ));
                }
            }
            made += 1 + n_answers;
            if q_rows.len() >= 2_000 || qi == questions - 1 {
                let (q, a, pt, c, rv) = flush(
                    &mut q_rows,
                    &mut a_rows,
                    &mut pt_rows,
                    &mut c_rows,
                    &mut rev_rows,
                );
                let cols = "INSERT INTO posts (id, kind, question_id, author_id, title, body_md, body_html, tags, answer_count, comment_count, created_at, last_activity_at)";
                self.insert_batches(cols, &q).await?;
                self.insert_batches(cols, &a).await?;
                self.insert_batches("INSERT INTO post_tags (post_id, tag_id)", &pt)
                    .await?;
                self.insert_batches(
                    "INSERT INTO comments (post_id, author_id, body_md, body_html, created_at)",
                    &c,
                )
                .await?;
                self.insert_batches("INSERT INTO revisions (post_id, rev, author_id, kind, title, body_md, tags, created_at)", &rv)
                    .await?;
            }
        }
        sqlx::raw_sql(
            "UPDATE tags SET question_count = (SELECT COUNT(*) FROM post_tags pt WHERE pt.tag_id = tags.id) WHERE name LIKE 'bench-%' OR question_count = 0",
        )
        .execute(&self.write)
        .await?;
        if self.backend == crate::Backend::Postgres {
            // Explicit ids bypassed the sequences; move them past the data.
            for t in ["users", "tags", "posts", "comments", "revisions"] {
                sqlx::raw_sql(&format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"
                ))
                .execute(&self.write)
                .await?;
            }
            sqlx::raw_sql("ANALYZE").execute(&self.write).await?;
        } else {
            sqlx::raw_sql("ANALYZE").execute(&self.write).await?;
        }
        Ok((made, base_post + 1))
    }
}

impl Store {
    /// The search Apache Answer runs by default, as the benchmark's
    /// reference: the word anywhere in a title or body (`LIKE '%word%'`,
    /// which no index can serve), newest first, one page and a count.
    pub async fn like_search(&self, word: &str, limit: i64) -> Result<(Vec<i64>, i64)> {
        use crate::RowExt;
        let pattern = format!("%{word}%");
        let ids = sqlx::query(
            "SELECT p.id FROM posts p WHERE p.deleted_at IS NULL AND p.status = 0 \
             AND (p.title LIKE $1 OR p.body_md LIKE $1) ORDER BY p.created_at DESC LIMIT $2",
        )
        .bind(&pattern)
        .bind(limit)
        .fetch_all(self.reader())
        .await?
        .iter()
        .map(|r| r.i("id"))
        .collect();
        let total = sqlx::query(
            "SELECT COUNT(*) AS n FROM posts p WHERE p.deleted_at IS NULL AND p.status = 0 \
             AND (p.title LIKE $1 OR p.body_md LIKE $1)",
        )
        .bind(&pattern)
        .fetch_one(self.reader())
        .await?
        .i("n");
        Ok((ids, total))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn vocabulary_has_no_duplicates() {
        // Tags are made from these words, and tag names are unique.
        for list in [super::EN, super::ZH] {
            let set: std::collections::HashSet<_> = list.iter().collect();
            assert_eq!(set.len(), list.len());
        }
        assert!(super::EN.iter().all(|w| !super::ZH.contains(w)));
    }
}
