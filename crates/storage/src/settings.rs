//! Community settings: one JSON document, with an append-only history of
//! every change and who made it.

use crate::{now, Result, Store};
use guildhall_domain::CommunitySettings;
use sqlx::Row;

const KEY: &str = "community";

impl Store {
    pub async fn load_settings(&self) -> Result<CommunitySettings> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(KEY)
            .fetch_optional(self.reader())
            .await?;
        Ok(match row {
            Some(r) => {
                let v: String = r.try_get("value")?;
                serde_json::from_str(&v).unwrap_or_else(|e| {
                    tracing::error!(error = %e, "stored settings do not parse; using defaults");
                    CommunitySettings::default()
                })
            }
            None => CommunitySettings::default(),
        })
    }

    pub async fn save_settings(&self, s: &CommunitySettings, by: Option<i64>) -> Result<()> {
        let v = serde_json::to_string(s).expect("settings serialize");
        let t = now();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(KEY)
        .bind(&v)
        .bind(t)
        .bind(by)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO settings_history (key, value, changed_at, changed_by) VALUES ($1, $2, $3, $4)")
            .bind(KEY)
            .bind(&v)
            .bind(t)
            .bind(by)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
