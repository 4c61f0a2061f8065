//! Badges as data: each is a name and description in both languages, a tier,
//! whether it can be earned more than once, and a criterion over facts that
//! storage gathers from the ledgers and activity. [`earned`] decides; the
//! awarding job inserts what is missing, so running it twice awards once.

use crate::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Bronze,
    Silver,
    Gold,
}

impl Tier {
    pub fn key(self) -> &'static str {
        match self {
            Tier::Bronze => "bronze",
            Tier::Silver => "silver",
            Tier::Gold => "gold",
        }
    }
}

/// Things a member does that badges count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Edits of posts (own or others', suggested edits once approved), not the first version.
    Edits,
    Rollbacks,
    Comments,
    VotesCast,
    UpvotesCast,
    DownvotesCast,
    QuestionVotesCast,
    HelpfulFlags,
    /// Review votes in any queue.
    Reviews,
    ApprovedTagEdits,
}

/// The condition of a badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Criterion {
    /// Profile fields filled, in percent.
    ProfileComplete {
        percent: i64,
    },
    QuestionScore {
        min: i64,
    },
    AnswerScore {
        min: i64,
    },
    QuestionViews {
        min: i64,
    },
    /// An accepted answer with at least this score.
    AcceptedAnswerScore {
        min: i64,
    },
    /// An answer given `min_days` after its question, with at least `min_score`.
    LateAnswer {
        min_days: i64,
        min_score: i64,
    },
    /// An answer to one's own question with at least this score.
    SelfAnswer {
        min_score: i64,
    },
    /// Asked a question and accepted an answer to it.
    AskedAndAccepted,
    Count {
        of: Activity,
        min: i64,
    },
    /// Review votes in one queue.
    QueueReviews {
        queue: String,
        min: i64,
    },
    /// Visited on this many consecutive UTC days.
    ConsecutiveDays {
        days: i64,
    },
    /// Every full year of membership.
    Anniversary,
    /// Answers in one tag: total score and count.
    TagAnswers {
        min_score: i64,
        min_answers: i64,
    },
    /// Question votes cast, and their share of all votes in percent.
    Electorate {
        min_question_votes: i64,
        min_share_percent: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadgeDef {
    pub key: String,
    pub tier: Tier,
    /// Earned once per source (post, tag, year) rather than once.
    pub repeatable: bool,
    pub name_en: String,
    pub name_zh: String,
    pub description_en: String,
    pub description_zh: String,
    pub criterion: Criterion,
}

/// A member's post as badges see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PostFact {
    pub id: i64,
    pub score: i64,
    pub views: i64,
    /// Questions: an answer is accepted. Answers: this answer is accepted.
    pub accepted: bool,
    pub created_at: Timestamp,
    /// Answers: when the question was asked and whether its author is this member.
    pub question_created_at: Timestamp,
    pub own_question: bool,
}

/// Everything the badge criteria look at, for one member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFacts {
    pub user_id: i64,
    pub created_at: Timestamp,
    pub now: Timestamp,
    pub profile_filled: i64,
    pub profile_fields: i64,
    pub questions: Vec<PostFact>,
    pub answers: Vec<PostFact>,
    pub counts: BTreeMap<Activity, i64>,
    pub queue_reviews: BTreeMap<String, i64>,
    /// Distinct UTC days with a visit, ascending.
    pub visit_days: Vec<i64>,
    /// Tag name → (answers, total answer score).
    pub tag_answers: BTreeMap<String, (i64, i64)>,
}

impl UserFacts {
    fn count(&self, a: Activity) -> i64 {
        self.counts.get(&a).copied().unwrap_or(0)
    }
}

/// The longest run of consecutive days in an ascending list of day numbers.
pub fn longest_streak(days: &[i64]) -> i64 {
    let mut best = 0;
    let mut run = 0;
    let mut prev: Option<i64> = None;
    for &d in days {
        run = match prev {
            Some(p) if d == p + 1 => run + 1,
            Some(p) if d == p => run,
            _ => 1,
        };
        best = best.max(run);
        prev = Some(d);
    }
    best
}

/// The source keys under which a member has earned this badge: `""` for a
/// one-time badge, `post:ID`, `tag:NAME` or `year:N` for repeatable ones.
/// A one-time badge whose criterion is per post yields one key at most.
pub fn earned(def: &BadgeDef, f: &UserFacts) -> Vec<String> {
    let per_post = |posts: &[PostFact], ok: &dyn Fn(&PostFact) -> bool| -> Vec<String> {
        posts
            .iter()
            .filter(|p| ok(p))
            .map(|p| format!("post:{}", p.id))
            .collect()
    };
    let once = |ok: bool| if ok { vec![String::new()] } else { vec![] };
    let keys = match &def.criterion {
        Criterion::ProfileComplete { percent } => {
            once(f.profile_fields > 0 && f.profile_filled * 100 >= percent * f.profile_fields)
        }
        Criterion::QuestionScore { min } => per_post(&f.questions, &|p| p.score >= *min),
        Criterion::AnswerScore { min } => per_post(&f.answers, &|p| p.score >= *min),
        Criterion::QuestionViews { min } => per_post(&f.questions, &|p| p.views >= *min),
        Criterion::AcceptedAnswerScore { min } => {
            per_post(&f.answers, &|p| p.accepted && p.score >= *min)
        }
        Criterion::LateAnswer {
            min_days,
            min_score,
        } => per_post(&f.answers, &|p| {
            p.score >= *min_score && p.created_at - p.question_created_at >= min_days * 86_400
        }),
        Criterion::SelfAnswer { min_score } => {
            per_post(&f.answers, &|p| p.own_question && p.score >= *min_score)
        }
        Criterion::AskedAndAccepted => once(f.questions.iter().any(|q| q.accepted)),
        Criterion::Count { of, min } => once(f.count(*of) >= *min),
        Criterion::QueueReviews { queue, min } => {
            once(f.queue_reviews.get(queue).copied().unwrap_or(0) >= *min)
        }
        Criterion::ConsecutiveDays { days } => once(longest_streak(&f.visit_days) >= *days),
        Criterion::Anniversary => {
            let years = (f.now - f.created_at).div_euclid(365 * 86_400);
            (1..=years).map(|y| format!("year:{y}")).collect()
        }
        Criterion::TagAnswers {
            min_score,
            min_answers,
        } => f
            .tag_answers
            .iter()
            .filter(|(_, (n, score))| n >= min_answers && score >= min_score)
            .map(|(tag, _)| format!("tag:{tag}"))
            .collect(),
        Criterion::Electorate {
            min_question_votes,
            min_share_percent,
        } => {
            let q = f.count(Activity::QuestionVotesCast);
            let all = f.count(Activity::VotesCast);
            once(q >= *min_question_votes && all > 0 && q * 100 >= min_share_percent * all)
        }
    };
    if def.repeatable {
        keys
    } else {
        // One-time: any qualifying source earns the single award.
        once(!keys.is_empty())
    }
}

fn def(
    key: &str,
    tier: Tier,
    repeatable: bool,
    names: (&str, &str),
    descriptions: (&str, &str),
    criterion: Criterion,
) -> BadgeDef {
    BadgeDef {
        key: key.into(),
        tier,
        repeatable,
        name_en: names.0.into(),
        name_zh: names.1.into(),
        description_en: descriptions.0.into(),
        description_zh: descriptions.1.into(),
        criterion,
    }
}

/// The default badge set (Stack Exchange's familiar badges, SegmentFault's
/// Chinese names where it has them). A table, so kept on one line per field.
#[rustfmt::skip]
pub fn default_badges() -> Vec<BadgeDef> {
    use Activity as A;
    use Criterion as C;
    use Tier::{Bronze, Gold, Silver};
    let count = |of, min| C::Count { of, min };
    let queue = |q: &str, min| C::QueueReviews {
        queue: q.into(),
        min,
    };
    vec![
        def("autobiographer", Bronze, false, ("Autobiographer", "自传作者"),
            ("Completed at least 75% of the profile", "个人资料完成度达到 75%"),
            C::ProfileComplete { percent: 75 }),
        def("student", Bronze, false, ("Student", "学生"),
            ("Asked a question with a score of 1 or more", "提出的问题得分达到 1"),
            C::QuestionScore { min: 1 }),
        def("scholar", Bronze, false, ("Scholar", "学者"),
            ("Asked a question and accepted an answer", "提出问题并采纳了一个回答"),
            C::AskedAndAccepted),
        def("teacher", Bronze, false, ("Teacher", "老师"),
            ("Answered a question with a score of 1 or more", "回答得分达到 1"),
            C::AnswerScore { min: 1 }),
        def("editor", Bronze, false, ("Editor", "编辑"),
            ("First edit", "第一次编辑"), count(A::Edits, 1)),
        def("strunk_white", Silver, false, ("Strunk & White", "文体大师"),
            ("Edited 80 posts", "编辑了 80 篇内容"), count(A::Edits, 80)),
        def("copy_editor", Gold, false, ("Copy Editor", "文字编辑"),
            ("Edited 500 posts", "编辑了 500 篇内容"), count(A::Edits, 500)),
        def("cleanup", Bronze, false, ("Cleanup", "清洁工"),
            ("First rollback", "第一次回滚"), count(A::Rollbacks, 1)),
        def("nice_question", Bronze, true, ("Nice Question", "好问题"),
            ("Question score of 10 or more", "问题得分达到 10"), C::QuestionScore { min: 10 }),
        def("good_question", Silver, true, ("Good Question", "优秀问题"),
            ("Question score of 25 or more", "问题得分达到 25"), C::QuestionScore { min: 25 }),
        def("great_question", Gold, true, ("Great Question", "杰出问题"),
            ("Question score of 100 or more", "问题得分达到 100"), C::QuestionScore { min: 100 }),
        def("nice_answer", Bronze, true, ("Nice Answer", "好回答"),
            ("Answer score of 10 or more", "回答得分达到 10"), C::AnswerScore { min: 10 }),
        def("good_answer", Silver, true, ("Good Answer", "优秀回答"),
            ("Answer score of 25 or more", "回答得分达到 25"), C::AnswerScore { min: 25 }),
        def("great_answer", Gold, true, ("Great Answer", "杰出回答"),
            ("Answer score of 100 or more", "回答得分达到 100"), C::AnswerScore { min: 100 }),
        def("popular_question", Bronze, true, ("Popular Question", "热门问题"),
            ("Question with 1,000 views", "问题浏览量达到 1,000"), C::QuestionViews { min: 1000 }),
        def("notable_question", Silver, true, ("Notable Question", "知名问题"),
            ("Question with 2,500 views", "问题浏览量达到 2,500"), C::QuestionViews { min: 2500 }),
        def("famous_question", Gold, true, ("Famous Question", "著名问题"),
            ("Question with 10,000 views", "问题浏览量达到 10,000"), C::QuestionViews { min: 10000 }),
        def("enlightened", Silver, false, ("Enlightened", "开悟"),
            ("First accepted answer with a score of 10 or more", "第一个得分 10 以上且被采纳的回答"),
            C::AcceptedAnswerScore { min: 10 }),
        def("guru", Silver, true, ("Guru", "大师"),
            ("Accepted answer with a score of 40 or more", "被采纳且得分 40 以上的回答"),
            C::AcceptedAnswerScore { min: 40 }),
        def("necromancer", Silver, true, ("Necromancer", "起死回生"),
            ("Answered a question more than 60 days later with a score of 5 or more", "在提问 60 天后回答且得分达到 5"),
            C::LateAnswer { min_days: 60, min_score: 5 }),
        def("revival", Bronze, true, ("Revival", "复苏"),
            ("Answered a question more than 30 days later with a score of 2 or more", "在提问 30 天后回答且得分达到 2"),
            C::LateAnswer { min_days: 30, min_score: 2 }),
        def("self_learner", Bronze, false, ("Self-Learner", "自学成才"),
            ("Answered your own question with a score of 3 or more", "回答自己的问题且得分达到 3"),
            C::SelfAnswer { min_score: 3 }),
        def("supporter", Bronze, false, ("Supporter", "支持者"),
            ("First up vote", "第一次投赞成票"), count(A::UpvotesCast, 1)),
        def("critic", Bronze, false, ("Critic", "评论家"),
            ("First down vote", "第一次投反对票"), count(A::DownvotesCast, 1)),
        def("commentator", Bronze, false, ("Commentator", "评论员"),
            ("Left 10 comments", "发表了 10 条评论"), count(A::Comments, 10)),
        def("civic_duty", Silver, false, ("Civic Duty", "公民义务"),
            ("Voted 300 or more times", "投票 300 次以上"), count(A::VotesCast, 300)),
        def("electorate", Gold, false, ("Electorate", "选民"),
            ("Voted on 600 questions and 25% or more of total votes are on questions", "为 600 个问题投票且问题票占全部投票 25% 以上"),
            C::Electorate { min_question_votes: 600, min_share_percent: 25 }),
        def("citizen_patrol", Bronze, false, ("Citizen Patrol", "公民巡逻"),
            ("First helpful flag", "第一次有效举报"), count(A::HelpfulFlags, 1)),
        def("deputy", Silver, false, ("Deputy", "副警长"),
            ("80 helpful flags", "80 次有效举报"), count(A::HelpfulFlags, 80)),
        def("marshal", Gold, false, ("Marshal", "警长"),
            ("500 helpful flags", "500 次有效举报"), count(A::HelpfulFlags, 500)),
        def("custodian", Bronze, false, ("Custodian", "看门人"),
            ("Completed a first review task", "完成第一次审核"), count(A::Reviews, 1)),
        def("first_posts_reviewer", Silver, false, ("First Posts Reviewer", "新帖审核员"),
            ("Completed 250 reviews of first posts", "完成 250 次新帖审核"), queue("first_posts", 250)),
        def("late_answers_reviewer", Silver, false, ("Late Answers Reviewer", "迟到回答审核员"),
            ("Completed 250 reviews of late answers", "完成 250 次迟到回答审核"), queue("late_answers", 250)),
        def("suggested_edits_reviewer", Silver, false, ("Suggested Edits Reviewer", "编辑建议审核员"),
            ("Completed 250 reviews of suggested edits", "完成 250 次编辑建议审核"), queue("suggested_edits", 250)),
        def("close_votes_reviewer", Silver, false, ("Close Votes Reviewer", "关闭投票审核员"),
            ("Completed 250 close or reopen reviews", "完成 250 次关闭投票审核"), queue("close", 250)),
        def("reopen_votes_reviewer", Silver, false, ("Reopen Votes Reviewer", "重开投票审核员"),
            ("Completed 250 reopen reviews", "完成 250 次重开投票审核"), queue("reopen", 250)),
        def("steward", Gold, false, ("Steward", "管家"),
            ("Completed 1,000 review tasks", "完成 1,000 次审核"), count(A::Reviews, 1000)),
        def("tag_editor", Bronze, false, ("Tag Editor", "标签编辑"),
            ("First approved tag wiki edit", "第一次标签说明编辑被通过"), count(A::ApprovedTagEdits, 1)),
        def("enthusiast", Silver, false, ("Enthusiast", "热心人"),
            ("Visited the site on 30 consecutive days", "连续 30 天访问社区"), C::ConsecutiveDays { days: 30 }),
        def("fanatic", Gold, false, ("Fanatic", "狂热者"),
            ("Visited the site on 100 consecutive days", "连续 100 天访问社区"), C::ConsecutiveDays { days: 100 }),
        def("yearling", Silver, true, ("Yearling", "周年"),
            ("A member for another full year", "加入社区又满一年"), C::Anniversary),
        def("tag_bronze", Bronze, true, ("Tag bronze", "标签铜牌"),
            ("Total answer score of 100 over 20 answers in a tag", "在一个标签下 20 个回答总得分达到 100"),
            C::TagAnswers { min_score: 100, min_answers: 20 }),
        def("tag_silver", Silver, true, ("Tag silver", "标签银牌"),
            ("Total answer score of 400 over 80 answers in a tag", "在一个标签下 80 个回答总得分达到 400"),
            C::TagAnswers { min_score: 400, min_answers: 80 }),
        def("tag_gold", Gold, true, ("Tag gold", "标签金牌"),
            ("Total answer score of 1000 over 200 answers in a tag", "在一个标签下 200 个回答总得分达到 1000"),
            C::TagAnswers { min_score: 1000, min_answers: 200 }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_key(key: &str) -> BadgeDef {
        default_badges().into_iter().find(|b| b.key == key).unwrap()
    }

    #[test]
    fn at_least_35_distinct_badges() {
        let all = default_badges();
        assert!(all.len() >= 35, "{}", all.len());
        let mut keys: Vec<_> = all.iter().map(|b| b.key.clone()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), all.len());
        assert!(all
            .iter()
            .all(|b| !b.name_zh.is_empty() && !b.description_zh.is_empty()));
    }

    #[test]
    fn streaks() {
        assert_eq!(longest_streak(&[]), 0);
        assert_eq!(longest_streak(&[5]), 1);
        assert_eq!(longest_streak(&[1, 2, 3, 5, 6]), 3);
        assert_eq!(longest_streak(&[1, 1, 2]), 2);
    }

    #[test]
    fn one_time_and_repeatable() {
        let post = |id, score| PostFact {
            id,
            score,
            ..Default::default()
        };
        let f = UserFacts {
            questions: vec![post(1, 12), post(2, 30), post(3, 0)],
            ..Default::default()
        };
        assert_eq!(earned(&by_key("student"), &f), vec![String::new()]);
        assert_eq!(
            earned(&by_key("nice_question"), &f),
            vec!["post:1", "post:2"]
        );
        assert_eq!(earned(&by_key("good_question"), &f), vec!["post:2"]);
        assert!(earned(&by_key("great_question"), &f).is_empty());
    }

    #[test]
    fn activity_criteria() {
        let mut f = UserFacts {
            created_at: 0,
            now: 2 * 365 * 86_400 + 5,
            profile_filled: 3,
            profile_fields: 4,
            visit_days: (10..40).collect(),
            ..Default::default()
        };
        f.counts.insert(Activity::Edits, 80);
        f.counts.insert(Activity::VotesCast, 1000);
        f.counts.insert(Activity::QuestionVotesCast, 600);
        f.tag_answers.insert("rust".into(), (20, 100));
        f.tag_answers.insert("go".into(), (19, 500));
        assert_eq!(earned(&by_key("autobiographer"), &f).len(), 1);
        assert_eq!(earned(&by_key("strunk_white"), &f).len(), 1);
        assert!(earned(&by_key("copy_editor"), &f).is_empty());
        assert_eq!(earned(&by_key("enthusiast"), &f).len(), 1);
        assert!(earned(&by_key("fanatic"), &f).is_empty());
        assert_eq!(earned(&by_key("yearling"), &f), vec!["year:1", "year:2"]);
        assert_eq!(earned(&by_key("tag_bronze"), &f), vec!["tag:rust"]);
        assert_eq!(earned(&by_key("electorate"), &f).len(), 1);
        f.profile_filled = 2;
        assert!(earned(&by_key("autobiographer"), &f).is_empty());
    }

    #[test]
    fn answer_criteria() {
        let day = 86_400;
        let a = PostFact {
            id: 7,
            score: 12,
            accepted: true,
            created_at: 70 * day,
            question_created_at: 0,
            own_question: false,
            views: 0,
        };
        let f = UserFacts {
            answers: vec![a],
            ..Default::default()
        };
        assert_eq!(earned(&by_key("enlightened"), &f).len(), 1);
        assert!(earned(&by_key("guru"), &f).is_empty());
        assert_eq!(earned(&by_key("necromancer"), &f), vec!["post:7"]);
        assert!(earned(&by_key("self_learner"), &f).is_empty());
    }

    #[test]
    fn definitions_round_trip_as_json() {
        let all = default_badges();
        let json = serde_json::to_string(&all).unwrap();
        let back: Vec<BadgeDef> = serde_json::from_str(&json).unwrap();
        assert_eq!(all, back);
    }
}
