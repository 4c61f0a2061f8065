//! Who hears of what others do to their posts: an answer to their
//! question, a comment on their post, the acceptance of their answer.
//! Nobody is told of their own doing.

/// Something a member did to a post that may concern its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Answered { question_author: i64, answerer: i64 },
    Commented { post_author: i64, commenter: i64 },
    Accepted { answer_author: i64, acceptor: i64 },
}

/// An inbox entry to write: for whom, of what kind, and who did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub recipient: i64,
    pub actor: i64,
    /// The notification kind (its message is `notification.<kind>`).
    pub kind: &'static str,
}

/// The kinds whose detail is the acting member's name (not a reason key).
pub const ACTIVITY_KINDS: [&str; 3] = ["answer_posted", "comment_posted", "answer_accepted"];

impl Activity {
    pub fn notice(self) -> Option<Notice> {
        let (recipient, actor, kind) = match self {
            Activity::Answered {
                question_author,
                answerer,
            } => (question_author, answerer, ACTIVITY_KINDS[0]),
            Activity::Commented {
                post_author,
                commenter,
            } => (post_author, commenter, ACTIVITY_KINDS[1]),
            Activity::Accepted {
                answer_author,
                acceptor,
            } => (answer_author, acceptor, ACTIVITY_KINDS[2]),
        };
        (recipient != actor).then_some(Notice {
            recipient,
            actor,
            kind,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_hears_of_others_never_of_themselves() {
        let cases = [
            (
                Activity::Answered {
                    question_author: 1,
                    answerer: 2,
                },
                Some((1, "answer_posted")),
            ),
            (
                Activity::Answered {
                    question_author: 1,
                    answerer: 1,
                },
                None,
            ),
            (
                Activity::Commented {
                    post_author: 3,
                    commenter: 1,
                },
                Some((3, "comment_posted")),
            ),
            (
                Activity::Commented {
                    post_author: 3,
                    commenter: 3,
                },
                None,
            ),
            (
                Activity::Accepted {
                    answer_author: 2,
                    acceptor: 1,
                },
                Some((2, "answer_accepted")),
            ),
            (
                Activity::Accepted {
                    answer_author: 1,
                    acceptor: 1,
                },
                None,
            ),
        ];
        for (activity, want) in cases {
            let got = activity.notice().map(|n| (n.recipient, n.kind));
            assert_eq!(got, want, "{activity:?}");
        }
    }
}
