//! Text analysis shared by both engines: jieba segments Chinese (and passes
//! Latin words through whole), punctuation and spaces are dropped, positions
//! are renumbered so phrases are runs of consecutive positions, then
//! lower-casing and English stemming. The tantivy index uses this analyzer;
//! the PostgreSQL engine writes its output into `tsvector`s, so both see
//! exactly the same tokens.

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer,
};
use tantivy_jieba::JiebaTokenizer;

/// The name the analyzer is registered under in the tantivy index.
pub const NAME: &str = "guildhall";

/// Tokens longer than this (in bytes) are noise: hashes, base64, URLs.
const MAX_TOKEN_BYTES: usize = 48;

#[derive(Clone)]
struct Words(JiebaTokenizer);

struct VecStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for Words {
    type TokenStream<'a> = VecStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        let mut inner = self.0.token_stream(text);
        let mut tokens = Vec::new();
        while inner.advance() {
            let t = inner.token();
            if t.text.chars().any(char::is_alphanumeric) {
                let mut t = t.clone();
                t.position = tokens.len();
                t.position_length = 1;
                tokens.push(t);
            }
        }
        VecStream { tokens, next: 0 }
    }
}

/// The analyzer of indexed text (and of quoted phrases): jieba's search
/// mode, which also emits the shorter words inside a long one
/// ("中华人民共和国" gives 中华, 人民, 共和国… and the whole), so a post is
/// found by any of them.
pub fn analyzer() -> TextAnalyzer {
    with_mode(true)
}

/// The analyzer of the words of a query: jieba's plain mode, one token per
/// dictionary word ("中华人民共和国" stays whole). Every such token is among the search
/// mode tokens of the same text, so what matches is what contains the
/// word, not its pieces; and a query has a third of the terms to look up.
/// Phrases keep the index's analyzer: their tokens must be consecutive in
/// the same stream.
pub fn query_analyzer() -> TextAnalyzer {
    with_mode(false)
}

fn with_mode(search_mode: bool) -> TextAnalyzer {
    // Ordinal positions: jieba's default positions are character offsets,
    // which would make every phrase query miss.
    let mut jieba = JiebaTokenizer::new();
    jieba.set_ordinal_position_mode(true);
    jieba.set_search_mode(search_mode);
    TextAnalyzer::builder(Words(jieba))
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// One analyzed token: its position and the byte range it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    pub text: String,
    pub position: u32,
    pub from: usize,
    pub to: usize,
}

/// Analyze text into tokens (a fresh analyzer per call is cheap: the jieba
/// dictionary is shared).
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push(Tok {
            text: t.text.clone(),
            position: t.position as u32,
            from: t.offset_from,
            to: t.offset_to,
        });
    }
    out
}

/// A pair of consecutive words as one term (analysis never produces the
/// separator): both engines index pairs, so a two-word phrase is one lookup.
pub fn pair(a: &str, b: &str) -> String {
    format!("{a}\u{1f}{b}")
}

/// Just the token texts.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    tokens(analyzer, text).into_iter().map(|t| t.text).collect()
}

/// How far into a phrase the pieces of its first word may reach (jieba's
/// search mode gives a long word's two- and three-character words before
/// it; a handful at most).
const MAX_PIECES: usize = 16;

/// A phrase's tokens (`analyzer`: the index's), without the pieces that
/// the search mode puts before its first word (连接池编译 gives 连接,
/// 连接池, 编译): the pieces of a word are a function of the word, so
/// wherever it stands as a word they stand right before it, and the phrase
/// is the same without them; a two-word phrase is then one pair. Two
/// tokens at least stay: a word alone would also match where it is itself
/// a piece of a longer word, which the pieces before it rule out.
pub fn phrase_terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let tokens = terms(analyzer, text);
    let last = tokens.len().saturating_sub(2).min(MAX_PIECES);
    for j in (1..=last).rev() {
        if terms(analyzer, &tokens[j]) == tokens[..=j] {
            return tokens[j..].to_vec();
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_drops_the_pieces_before_its_first_word() {
        let mut a = analyzer();
        assert_eq!(terms(&mut a, "连接池编译"), ["连接", "连接池", "编译"]);
        assert_eq!(phrase_terms(&mut a, "连接池编译"), ["连接池", "编译"]);
        // Pieces inside the phrase stay: they stand between its words.
        assert_eq!(
            phrase_terms(&mut a, "编译连接池"),
            ["编译", "连接", "连接池"]
        );
        // A word alone keeps its pieces (it may be a piece itself).
        assert_eq!(phrase_terms(&mut a, "连接池"), ["连接", "连接池"]);
        assert_eq!(
            phrase_terms(&mut a, "rust async runtime"),
            ["rust", "async", "runtim"]
        );
        assert_eq!(phrase_terms(&mut a, ""), Vec::<String>::new());
    }

    #[test]
    fn chinese_english_and_mixed() {
        let mut a = analyzer();
        assert_eq!(terms(&mut a, "Rust connections"), vec!["rust", "connect"]);
        let zh = terms(&mut a, "数据库连接池");
        assert!(zh.contains(&"数据库".to_string()), "{zh:?}");
        let mixed = tokens(&mut a, "rust 异步, 连接池!");
        assert_eq!(mixed[0].text, "rust");
        assert_eq!(mixed[1].text, "异步");
        // Spaces and punctuation are dropped, positions stay consecutive.
        let positions: Vec<u32> = mixed.iter().map(|t| t.position).collect();
        assert_eq!(positions, (0..mixed.len() as u32).collect::<Vec<_>>());
        // Offsets point back into the text.
        let text = "rust 异步, 连接池!";
        assert_eq!(&text[mixed[1].from..mixed[1].to], "异步");
    }

    #[test]
    fn query_words_are_whole_and_found_in_the_index_tokens() {
        let (mut index, mut query) = (analyzer(), query_analyzer());
        for text in [
            "集成测试",
            "数据库连接池配置",
            "rust 异步 连接池",
            "Connection pooling",
        ] {
            let q = terms(&mut query, text);
            let i = terms(&mut index, text);
            assert!(
                q.iter().all(|t| i.contains(t)),
                "{text}: {q:?} not all in {i:?}"
            );
            assert!(q.len() <= i.len());
        }
        assert_eq!(terms(&mut query, "中华人民共和国"), vec!["中华人民共和国"]);
        assert!(terms(&mut index, "中华人民共和国").len() > 1);
    }

    #[test]
    fn noise_is_dropped() {
        let mut a = analyzer();
        assert!(terms(&mut a, "  ,,, !!! ... ").is_empty());
        assert!(terms(&mut a, &"x".repeat(200)).is_empty());
        assert!(terms(&mut a, "").is_empty());
    }
}
