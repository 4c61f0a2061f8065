//! Input rules for posts, tags and accounts. Limits are settings.

use crate::error::DomainError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContentLimits {
    pub title_min: i64,
    pub title_max: i64,
    pub body_min: i64,
    pub body_max: i64,
    pub comment_min: i64,
    pub comment_max: i64,
    pub tags_min: i64,
    pub tags_max: i64,
    pub tag_max_len: i64,
    pub about_max: i64,
    pub location_max: i64,
    pub website_max: i64,
}

impl Default for ContentLimits {
    fn default() -> Self {
        ContentLimits {
            title_min: 10,
            title_max: 150,
            body_min: 20,
            body_max: 30_000,
            comment_min: 5,
            comment_max: 600,
            tags_min: 1,
            tags_max: 5,
            tag_max_len: 35,
            about_max: 2000,
            location_max: 100,
            website_max: 200,
        }
    }
}

fn chars(s: &str) -> i64 {
    s.chars().count() as i64
}

fn length(field: &'static str, s: &str, min: i64, max: i64) -> Result<(), DomainError> {
    let n = chars(s);
    if n == 0 {
        Err(DomainError::validation(field, "required", None))
    } else if n < min {
        Err(DomainError::validation(field, "too_short", Some(min)))
    } else if n > max {
        Err(DomainError::validation(field, "too_long", Some(max)))
    } else {
        Ok(())
    }
}

impl ContentLimits {
    pub fn title(&self, title: &str) -> Result<String, DomainError> {
        let t = title.split_whitespace().collect::<Vec<_>>().join(" ");
        length("title", &t, self.title_min, self.title_max)?;
        Ok(t)
    }

    pub fn body(&self, body: &str) -> Result<String, DomainError> {
        let b = body.trim().replace("\r\n", "\n");
        length("body", &b, self.body_min, self.body_max)?;
        Ok(b)
    }

    pub fn comment(&self, body: &str) -> Result<String, DomainError> {
        let b = body.trim().to_string();
        length("comment", &b, self.comment_min, self.comment_max)?;
        Ok(b)
    }

    /// A public profile: about, location and an http(s) website, each
    /// optional; returns them trimmed.
    pub fn profile(
        &self,
        about: &str,
        location: &str,
        website: &str,
    ) -> Result<(String, String, String), DomainError> {
        let (about, location, website) = (about.trim(), location.trim(), website.trim());
        for (field, v, max) in [
            ("about", about, self.about_max),
            ("location", location, self.location_max),
            ("website", website, self.website_max),
        ] {
            if chars(v) > max {
                return Err(DomainError::validation(field, "too_long", Some(max)));
            }
        }
        let url_ok = website.is_empty()
            || ((website.starts_with("https://") || website.starts_with("http://"))
                && !website
                    .chars()
                    .any(|c| c.is_whitespace() || c == '"' || c == '<'));
        if !url_ok {
            return Err(DomainError::validation("website", "url", None));
        }
        Ok((about.into(), location.into(), website.into()))
    }

    /// Parse "rust, async tokio" into normalized, de-duplicated tag names.
    pub fn tags(&self, raw: &str) -> Result<Vec<String>, DomainError> {
        let mut out: Vec<String> = Vec::new();
        for t in raw
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
        {
            let t = t.to_lowercase();
            let valid = t
                .chars()
                .all(|c| c.is_alphanumeric() || "+#.-_".contains(c))
                && t.chars().next().is_some_and(|c| c.is_alphanumeric());
            if !valid {
                return Err(DomainError::validation("tags", "tag_malformed", None));
            }
            if chars(&t) > self.tag_max_len {
                return Err(DomainError::validation(
                    "tags",
                    "tag_too_long",
                    Some(self.tag_max_len),
                ));
            }
            if !out.contains(&t) {
                out.push(t);
            }
        }
        let n = out.len() as i64;
        if n < self.tags_min {
            return Err(DomainError::validation(
                "tags",
                "too_few_tags",
                Some(self.tags_min),
            ));
        }
        if n > self.tags_max {
            return Err(DomainError::validation(
                "tags",
                "too_many_tags",
                Some(self.tags_max),
            ));
        }
        Ok(out)
    }
}

/// Account fields (not settings: they protect the system, not the community).
/// The shortest and longest username accepted, in characters.
pub const USERNAME_LEN: (i64, i64) = (3, 30);

pub fn username(name: &str) -> Result<String, DomainError> {
    let n = name.trim();
    length("username", n, USERNAME_LEN.0, USERNAME_LEN.1)?;
    if !n
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    {
        return Err(DomainError::validation("username", "username_chars", None));
    }
    Ok(n.to_string())
}

pub fn email(email: &str) -> Result<String, DomainError> {
    let e = email.trim().to_lowercase();
    length("email", &e, 3, 254)?;
    let ok = match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
        }
        None => false,
    };
    if !ok {
        return Err(DomainError::validation("email", "email_malformed", None));
    }
    Ok(e)
}

/// The shortest and longest password accepted, in characters.
pub const PASSWORD_LEN: (i64, i64) = (8, 128);

pub fn password(pw: &str) -> Result<(), DomainError> {
    length("password", pw, PASSWORD_LEN.0, PASSWORD_LEN.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalized() {
        let l = ContentLimits::default();
        assert_eq!(
            l.tags("Rust, tokio  rust 异步").unwrap(),
            vec!["rust", "tokio", "异步"]
        );
        assert_eq!(
            l.tags("c++ c# .net").unwrap_err(),
            DomainError::validation("tags", "tag_malformed", None)
        );
        assert_eq!(l.tags("c++ c#").unwrap(), vec!["c++", "c#"]);
        assert!(matches!(
            l.tags("a b c d e f"),
            Err(DomainError::Validation {
                rule: "too_many_tags",
                ..
            })
        ));
        assert!(matches!(
            l.tags("  "),
            Err(DomainError::Validation {
                rule: "too_few_tags",
                ..
            })
        ));
        assert!(matches!(
            l.tags("<script>"),
            Err(DomainError::Validation {
                rule: "tag_malformed",
                ..
            })
        ));
        assert!(l.tags(&"x".repeat(36)).is_err());
    }

    #[test]
    fn lengths() {
        let l = ContentLimits::default();
        assert!(matches!(
            l.title(""),
            Err(DomainError::Validation {
                rule: "required",
                ..
            })
        ));
        assert!(matches!(
            l.title("short"),
            Err(DomainError::Validation {
                rule: "too_short",
                ..
            })
        ));
        assert!(l.title(&"长".repeat(150)).is_ok());
        assert!(l.title(&"长".repeat(151)).is_err());
        assert_eq!(
            l.title("  How   do I  ").unwrap_err().code(),
            crate::ErrorCode::Validation
        );
        assert_eq!(
            l.title("How   do I do this thing").unwrap(),
            "How do I do this thing"
        );
        assert!(l.body(&"x".repeat(30_001)).is_err());
    }

    #[test]
    fn accounts() {
        assert!(username("ab").is_err());
        assert!(username("alice smith").is_err());
        assert_eq!(username(" 小明_dev ").unwrap(), "小明_dev");
        assert_eq!(email(" Alice@Example.COM ").unwrap(), "alice@example.com");
        for bad in ["alice", "a@b", "@x.org", "a@.org", "a b@x.org"] {
            assert!(email(bad).is_err(), "{bad}");
        }
        assert!(password("short").is_err());
        assert!(password("long enough").is_ok());
    }

    #[test]
    fn profiles() {
        let l = ContentLimits::default();
        assert!(l.profile(" hi ", "Shanghai", "https://example.org").is_ok());
        assert_eq!(
            l.profile("", "", "").unwrap(),
            (String::new(), String::new(), String::new())
        );
        assert!(l.profile("", "", "javascript:alert(1)").is_err());
        assert!(l.profile("", "", "https://a b").is_err());
        assert!(l.profile(&"x".repeat(2001), "", "").is_err());
    }
}
