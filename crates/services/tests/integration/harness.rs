//! Test backends: a temporary SQLite file, and a throwaway PostgreSQL
//! cluster on a free loopback port (started once per test binary, one
//! fresh database per test, removed when the test process ends).
//!
//! Without PostgreSQL binaries the PostgreSQL half is skipped with a loud
//! message on a developer machine, and fails under CI (`CI=true`).

use guildhall_services::{App, ServiceConfig};
use guildhall_storage::Store;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A fresh path under this test process's scratch directory, which a
/// watcher removes once the process is gone (tests that fail or are killed
/// leave nothing behind in the system's temporary directory either).
pub fn scratch(prefix: &str) -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    let root = ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("guildhall-tests-{}", std::process::id()));
        std::fs::create_dir_all(&root).expect("scratch directory");
        remove_after_exit(&root, "");
        root
    });
    root.join(unique(prefix))
}

/// Start a detached watcher that runs `before` and removes `dir` once this
/// process has exited.
fn remove_after_exit(dir: &std::path::Path, before: &str) {
    let script = format!(
        "while kill -0 {} 2>/dev/null; do sleep 0.5; done; {before} rm -rf '{}'",
        std::process::id(),
        dir.display()
    );
    let spawned = Command::new("setsid")
        .args(["sh", "-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        eprintln!(
            "cannot start the watcher that removes {}: {e}",
            dir.display()
        );
    }
}

pub async fn app_on(store: Store, config: ServiceConfig) -> App {
    store.migrate().await.expect("migrate");
    App::new(store, config).await.expect("app")
}

pub async fn sqlite_store() -> Store {
    let dir = scratch("sqlite");
    Store::open_data_dir(&dir).await.expect("open sqlite")
}

pub async fn sqlite(config: ServiceConfig) -> App {
    app_on(sqlite_store().await, config).await
}

struct Cluster {
    url_base: String,
}

fn which(bin: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {bin}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

fn as_postgres(is_root: bool, args: &[&str]) -> Command {
    if is_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).args(args);
        c
    } else {
        let mut c = Command::new(args[0]);
        c.args(&args[1..]);
        c
    }
}

fn start_cluster() -> Result<Cluster, String> {
    if let Ok(url) = std::env::var("GUILDHALL_TEST_DATABASE_URL") {
        return Ok(Cluster {
            url_base: url.trim_end_matches('/').to_string(),
        });
    }
    if !which("initdb") || !which("pg_ctl") {
        return Err("initdb / pg_ctl not on PATH".into());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false);
    let dir: PathBuf = std::env::temp_dir().join(unique("guildhall-pg"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if is_root {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("cannot chown the cluster directory to the postgres user".into());
        }
    }
    let data = dir.join("data");
    let data_s = data.to_string_lossy().to_string();
    let out = as_postgres(
        is_root,
        &[
            "initdb",
            "-D",
            &data_s,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ],
    )
    .output()
    .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let opts = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
        dir.display()
    );
    let log = dir.join("log").to_string_lossy().to_string();
    let out = as_postgres(
        is_root,
        &[
            "pg_ctl", "-D", &data_s, "-o", &opts, "-l", &log, "-w", "start",
        ],
    )
    .output()
    .map_err(|e| format!("pg_ctl: {e}"))?;
    if !out.status.success() {
        let log_text = std::fs::read_to_string(&log).unwrap_or_default();
        return Err(format!(
            "pg_ctl start failed: {} {log_text}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // A watcher removes the cluster once this test process is gone.
    let stop = if is_root {
        format!("runuser -u postgres -- pg_ctl -D {data_s} -m immediate stop")
    } else {
        format!("pg_ctl -D {data_s} -m immediate stop")
    };
    remove_after_exit(&dir, &format!("{stop} >/dev/null 2>&1;"));
    Ok(Cluster {
        url_base: format!("postgres://postgres@127.0.0.1:{port}"),
    })
}

fn cluster() -> Option<&'static Cluster> {
    static C: OnceLock<Option<Cluster>> = OnceLock::new();
    C.get_or_init(|| match start_cluster() {
        Ok(c) => Some(c),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("PostgreSQL tests cannot run under CI: {e}");
            }
            eprintln!("\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
            eprintln!("!!! PostgreSQL tests SKIPPED: {e}");
            eprintln!(
                "!!! Install PostgreSQL (initdb, pg_ctl) or set GUILDHALL_TEST_DATABASE_URL."
            );
            eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n");
            None
        }
    })
    .as_ref()
}

/// A fresh PostgreSQL database, or `None` when PostgreSQL is unavailable
/// on a developer machine.
pub async fn postgres_store() -> Option<Store> {
    let c = cluster()?;
    let name = unique("gh");
    let admin = Store::open_url(&format!("{}/postgres", c.url_base))
        .await
        .expect("connect to postgres");
    sqlx_exec(&admin, &format!("CREATE DATABASE {name}")).await;
    admin.close().await;
    Some(
        Store::open_url(&format!("{}/{name}", c.url_base))
            .await
            .expect("connect to test database"),
    )
}

async fn sqlx_exec(store: &Store, sql: &str) {
    store.exec_raw_for_test(sql).await.expect(sql);
}

pub async fn postgres(config: ServiceConfig) -> Option<App> {
    Some(app_on(postgres_store().await?, config).await)
}

/// Run one storage test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::harness::sqlite(Default::default()).await;
                ($body)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::harness::postgres(Default::default()).await {
                    ($body)(app).await;
                }
            }
        }
    };
}

/// Two stores on one fresh PostgreSQL database: two app nodes.
pub async fn postgres_pair() -> Option<(Store, Store)> {
    let c = cluster()?;
    let name = unique("gh");
    let admin = Store::open_url(&format!("{}/postgres", c.url_base))
        .await
        .expect("connect to postgres");
    sqlx_exec(&admin, &format!("CREATE DATABASE {name}")).await;
    admin.close().await;
    let url = format!("{}/{name}", c.url_base);
    Some((
        Store::open_url(&url).await.unwrap(),
        Store::open_url(&url).await.unwrap(),
    ))
}
