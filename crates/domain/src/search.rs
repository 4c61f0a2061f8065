//! How search ranks and bounds queries: data with defaults, changeable by an
//! administrator, and the one ranking formula both search engines apply.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchRules {
    /// How much more a match in the title counts than one in the body.
    pub title_boost: f64,
    /// How much more a match on a tag name counts than one in the body.
    pub tag_boost: f64,
    /// Weight of ln(1 + score) in the ranking multiplier.
    pub vote_weight: f64,
    /// Multiplier for a question with an accepted answer, or that answer.
    pub accepted_boost: f64,
    /// Age at which the recency part of the multiplier has halved.
    pub recency_half_life_days: f64,
    /// Share of the multiplier that recency can take away (0 = ignore age).
    pub recency_weight: f64,
    pub page_size: u32,
    /// Similar questions shown while a title is typed.
    pub similar_limit: u32,
    /// Words and phrases read from one query; the rest is ignored, with a notice.
    pub max_terms: u32,
    /// `[tag]` filters read from one query.
    pub max_tags: u32,
    /// Matches are counted up to this many; past it a search says "more
    /// than N" (counting every match of a common word costs more than
    /// finding the best ones). Never below what the reachable pages
    /// (`MAX_PAGES` × `page_size`) need.
    pub max_counted: u32,
    /// PostgreSQL ranks at most about this many candidates a query for
    /// each source (the posts standing strongest for each word in their
    /// title or tags, and the newest matches) instead of every match; a
    /// query with fewer matches is ranked exactly. The embedded engine
    /// prunes exactly and does not need it.
    pub candidate_limit: u32,
}

/// Result pages a search can show (deeper pages are refused, as on most
/// large sites: nobody reads them and they cost the most).
pub const MAX_PAGES: u32 = 50;

impl Default for SearchRules {
    fn default() -> Self {
        SearchRules {
            title_boost: 3.0,
            tag_boost: 2.0,
            vote_weight: 0.25,
            accepted_boost: 1.3,
            recency_half_life_days: 365.0,
            recency_weight: 0.5,
            page_size: 20,
            similar_limit: 5,
            max_terms: 32,
            max_tags: 5,
            max_counted: 1_000,
            candidate_limit: 500,
        }
    }
}

impl SearchRules {
    /// What a post's standing does to its text relevance: votes raise it
    /// (logarithmically, so a famous post does not bury a better match),
    /// negative votes lower it, an accepted answer raises it, age lowers it
    /// by at most `recency_weight`.
    pub fn rank_multiplier(&self, score: i64, accepted: bool, age_secs: i64) -> f64 {
        let votes = if score >= 0 {
            1.0 + self.vote_weight * (1.0 + score as f64).ln()
        } else {
            1.0 / (1.0 + self.vote_weight * (1.0 - score as f64).ln())
        };
        let accepted = if accepted { self.accepted_boost } else { 1.0 };
        let age_days = age_secs.max(0) as f64 / 86_400.0;
        let half_life = self.recency_half_life_days.max(1.0);
        let recency =
            (1.0 - self.recency_weight) + self.recency_weight * (-age_days / half_life).exp2();
        votes * accepted * recency
    }

    pub fn clamp(&self) -> SearchRules {
        let d = SearchRules::default();
        let page_size = self.page_size.clamp(1, 100);
        SearchRules {
            page_size,
            similar_limit: self.similar_limit.clamp(1, 20),
            max_terms: self.max_terms.clamp(1, 64),
            max_tags: self.max_tags.clamp(1, 10),
            max_counted: self.max_counted.clamp(MAX_PAGES * page_size, 10_000_000),
            recency_weight: self.recency_weight.clamp(0.0, 1.0),
            candidate_limit: self.candidate_limit.max(1),
            // Weights and boosts are never negative: a negative one would
            // rank a better match lower, and pruning assumes scores that
            // only grow.
            title_boost: non_negative(self.title_boost, d.title_boost),
            tag_boost: non_negative(self.tag_boost, d.tag_boost),
            vote_weight: non_negative(self.vote_weight, d.vote_weight),
            accepted_boost: non_negative(self.accepted_boost, d.accepted_boost),
            recency_half_life_days: non_negative(
                self.recency_half_life_days,
                d.recency_half_life_days,
            ),
        }
    }
}

/// `v` when it is a number of at least 0; `default` when it is not a number.
pub fn non_negative(v: f64, default: f64) -> f64 {
    if v.is_finite() {
        v.max(0.0)
    } else {
        default
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_covers_every_reachable_page() {
        let r = SearchRules {
            page_size: 100,
            max_counted: 10,
            ..SearchRules::default()
        }
        .clamp();
        assert_eq!(r.max_counted, MAX_PAGES * 100);
        let r = SearchRules::default().clamp();
        assert_eq!(r.max_counted, 1_000);
    }

    #[test]
    fn boosts_are_never_negative() {
        let r = SearchRules {
            tag_boost: -2.0,
            vote_weight: f64::NAN,
            ..SearchRules::default()
        }
        .clamp();
        assert_eq!((r.tag_boost, r.vote_weight), (0.0, 0.25));
        assert_eq!(SearchRules::default().clamp(), SearchRules::default());
    }

    #[test]
    fn multiplier_by_hand() {
        let r = SearchRules::default();
        // New, unvoted, not accepted: exactly 1.
        assert!((r.rank_multiplier(0, false, 0) - 1.0).abs() < 1e-12);
        // Score 10: 1 + 0.25·ln 11 = 1.5995; accepted ×1.3 = 2.0793.
        assert!((r.rank_multiplier(10, true, 0) - 2.079_32).abs() < 1e-4);
        // Score −3: 1 / (1 + 0.25·ln 4) = 0.7426.
        assert!((r.rank_multiplier(-3, false, 0) - 0.742_6).abs() < 1e-4);
        // One half-life old: 0.5 + 0.5·0.5 = 0.75; never below 0.5.
        let year = 365 * 86_400;
        assert!((r.rank_multiplier(0, false, year) - 0.75).abs() < 1e-9);
        assert!(r.rank_multiplier(0, false, 100 * year) >= 0.5);
        // Age in the future (clock skew) counts as new.
        assert!((r.rank_multiplier(0, false, -50) - 1.0).abs() < 1e-12);
    }
}
