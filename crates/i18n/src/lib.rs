//! The message catalogue. Every string a person reads comes from
//! `locales/<lang>.txt` (`key = text`, `{name}` placeholders), compiled into
//! the binary. A test keeps the languages in step: same keys, same
//! placeholders.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s == "en" || s.starts_with("en-") {
            Some(Lang::En)
        } else if s == "zh" || s.starts_with("zh-") {
            Some(Lang::ZhCn)
        } else {
            None
        }
    }

    /// Pick from an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            if let Some(lang) = Lang::parse(tag) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../locales/en.txt"),
            Lang::ZhCn => include_str!("../locales/zh-CN.txt"),
        }
    }
}

pub fn parse_catalogue(src: &str) -> Result<HashMap<&str, String>, String> {
    let mut map = HashMap::new();
    for (n, line) in src.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line
            .split_once(" = ")
            .ok_or_else(|| format!("line {}: expected `key = text`", n + 1))?;
        // `\n` in a text stands for a line break (mail bodies).
        if map
            .insert(k.trim(), v.trim().replace("\\n", "\n"))
            .is_some()
        {
            return Err(format!("line {}: duplicate key {k}", n + 1));
        }
    }
    Ok(map)
}

fn catalogue(lang: Lang) -> &'static HashMap<&'static str, String> {
    static EN: OnceLock<HashMap<&str, String>> = OnceLock::new();
    static ZH: OnceLock<HashMap<&str, String>> = OnceLock::new();
    let cell = match lang {
        Lang::En => &EN,
        Lang::ZhCn => &ZH,
    };
    cell.get_or_init(|| parse_catalogue(lang.source()).expect("message catalogue parses"))
}

/// The text for `key`; a missing key shows itself (and a test prevents it).
pub fn t(lang: Lang, key: &str) -> &'static str {
    match catalogue(lang).get(key) {
        Some(v) => v,
        None => {
            debug_assert!(false, "missing message key {key} for {}", lang.code());
            catalogue(Lang::En)
                .get(key)
                .map(String::as_str)
                .unwrap_or("??")
        }
    }
}

/// The text for `key` with `{name}` placeholders filled in.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(lang, key).to_string();
    for (k, v) in args {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

pub fn has_key(key: &str) -> bool {
    catalogue(Lang::En).contains_key(key)
}

pub fn keys() -> Vec<&'static str> {
    let mut k: Vec<_> = catalogue(Lang::En).keys().copied().collect();
    k.sort_unstable();
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<String> {
        let mut out: Vec<String> = s
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
            .collect();
        out.sort();
        out
    }

    #[test]
    fn languages_have_the_same_keys_and_placeholders() {
        let en = parse_catalogue(Lang::En.source()).unwrap();
        let zh = parse_catalogue(Lang::ZhCn.source()).unwrap();
        let mut missing: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        missing.sort();
        assert!(missing.is_empty(), "missing in zh-CN: {missing:?}");
        let mut extra: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        extra.sort();
        assert!(extra.is_empty(), "only in zh-CN: {extra:?}");
        for (k, v) in &en {
            assert_eq!(
                placeholders(v),
                placeholders(&zh[k]),
                "placeholders differ for {k}"
            );
        }
    }

    #[test]
    fn accept_language() {
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Lang::ZhCn
        );
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,zh;q=0.5"),
            Lang::En
        );
        assert_eq!(Lang::from_accept_language("fr-FR, zh;q=0.3"), Lang::ZhCn);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(Lang::from_accept_language("de"), Lang::En);
    }

    #[test]
    fn formatting() {
        assert!(tf(
            Lang::En,
            "error.privilege_missing",
            &[("privilege", "x"), ("required", "15"), ("have", "1")]
        )
        .contains("15"));
    }
}
