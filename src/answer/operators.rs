//! Everything the bot says about what it remembers: votes, what was not found, follows and
//! their alerts, the counts for admins. Kept together so that they can be translated as one
//! (the bot speaks English only for now); like [`super::replies`], built as [`Rich`] text.

use super::replies::{citation, plural};
use super::rich::{Rich, TELEGRAM_LIMIT};
use crate::date::Date;
use crate::storage::db::{Followed, MAX_FOLLOWS, Unanswered, Votes};

/// The label of the 👍 button.
pub const VOTE_UP: &str = "👍";
/// The label of the 👎 button.
pub const VOTE_DOWN: &str = "👎";

/// The toast after a vote: `changed` when it replaced the person's other vote.
#[must_use]
pub fn voted(up: bool, changed: bool) -> &'static str {
    match (up, changed) {
        (true, false) => "Thanks! Glad it helped.",
        (false, false) => "Thanks — noted, so the articles can get better.",
        (true, true) => "Changed to 👍.",
        (false, true) => "Changed to 👎.",
    }
}

/// The toast when the answer voted on is no longer known (neither kept nor in the articles as
/// they are now): the vote is not counted.
#[must_use]
pub fn vote_unknown() -> &'static str {
    "Sorry, this answer is no longer known, so the vote was not counted."
}

/// The toast when the vote could not be saved.
#[must_use]
pub fn vote_not_saved() -> &'static str {
    "Sorry, I could not save that vote just now."
}

/// `/unanswered`: the most asked questions that found nothing (or got 👎), with counts.
#[must_use]
pub fn unanswered(list: &[Unanswered], days: u32) -> Rich {
    let mut r = Rich::new();
    if list.is_empty() {
        r.text(format!(
            "Nothing went unanswered in the last {}.",
            plural(days as usize, "day")
        ));
        return r;
    }
    r.bold(format!(
        "Asked and not found (or 👎) in the last {}, most asked first:",
        plural(days as usize, "day")
    ));
    for (i, u) in list.iter().enumerate() {
        let question: String = u.question.chars().take(150).collect();
        r.text(format!("\n{}. {question} — {}×", i + 1, u.count));
    }
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// What the admins' `/about` adds: questions in the last 24 hours and 7 days, and the votes.
#[must_use]
pub fn about_counts(day: (u64, u64), week: (u64, u64), votes: Votes) -> Rich {
    let mut r = Rich::new();
    r.text(format!(
        "\n\nFor admins: in the last 24 hours {} answered and {} not found; in the last 7 days {} answered and {} not found. Votes kept: {} 👍, {} 👎.",
        day.0, day.1, week.0, week.1, votes.up, votes.down
    ));
    r
}

/// `/follow` with no topic.
#[must_use]
pub fn follow_what() -> Rich {
    let mut r = Rich::new();
    r.text("Give a topic after /follow, for example: ");
    r.italic("/follow grain exports");
    r.text(". When a new article answers it, I'll send you the quote.");
    r
}

/// What `/follow TOPIC` did.
#[must_use]
pub fn followed(topic: &str, outcome: &Followed) -> Rich {
    let mut r = Rich::new();
    match outcome {
        Followed::Added(_) => {
            r.text("Following “");
            r.bold(topic);
            r.text("”. When a new article answers it, I'll send the quote here. /following lists your topics.");
        }
        Followed::Already => {
            r.text("Already following “");
            r.bold(topic);
            r.text("”.");
        }
        Followed::Full => {
            r.text(format!(
                "A chat can follow at most {MAX_FOLLOWS} topics: /following lists them, /unfollow N stops one."
            ));
        }
    }
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// `/following`: the topics, numbered.
#[must_use]
pub fn following(topics: &[String]) -> Rich {
    let mut r = Rich::new();
    if topics.is_empty() {
        r.text("This chat follows no topics. Start with /follow, e.g. ");
        r.italic("/follow grain exports");
        return r;
    }
    r.bold(format!("Following {}:", plural(topics.len(), "topic")));
    for (i, t) in topics.iter().enumerate() {
        r.text(format!("\n{}. {t}", i + 1));
    }
    r.text("\n/unfollow N stops one.");
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// What `/unfollow N` did.
#[must_use]
pub fn unfollowed(topic: Option<&str>) -> Rich {
    let mut r = Rich::new();
    match topic {
        Some(t) => {
            r.text("Stopped following “");
            r.bold(t);
            r.text("”.");
        }
        None => {
            r.text("Give the number of a topic from /following, e.g. /unfollow 1.");
        }
    }
    r
}

/// In a group, following is for its admins.
#[must_use]
pub fn follow_admins_only() -> Rich {
    Rich::plain("In a group, only its admins can change what it follows.")
}

/// When Telegram could not say whether the sender is an admin of the group.
#[must_use]
pub fn admin_check_failed() -> Rich {
    Rich::plain(
        "Sorry, I could not check that you are an admin of this group just now. Please try again.",
    )
}

/// When the database could not be read or written.
#[must_use]
pub fn storage_failed() -> Rich {
    Rich::plain("Sorry, I could not reach my records just now. Please try again later.")
}

/// When the bot runs without a database (only in tests and embedded uses).
#[must_use]
pub fn no_storage() -> Rich {
    Rich::plain("I keep no records here.")
}

/// An alert: a new article answers a followed topic.
#[must_use]
pub fn alert(topic: &str, quote: &str, title: &str, date: Option<Date>) -> Rich {
    let mut r = Rich::new();
    r.text("New in the articles: “");
    r.text(quote);
    r.text("”");
    r.truncate(TELEGRAM_LIMIT - 400);
    r.text(format!("\n— {}", citation(title, date)));
    r.italic(format!("\nBecause you follow “{}”.", short(topic)));
    r
}

fn short(topic: &str) -> String {
    topic.chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::rich::Format;

    #[test]
    fn an_alert_has_the_quote_the_citation_and_the_topic() {
        let r = alert(
            "grain <exports>",
            "Iran can become a grain hub.",
            "Iran & Russia",
            Date::new(2024, 9, 30),
        );
        assert_eq!(
            r.render(Format::Plain),
            "New in the articles: “Iran can become a grain hub.”\n— Iran & Russia, 30 September 2024\nBecause you follow “grain <exports>”."
        );
        assert!(r.render(Format::Html).contains("grain &lt;exports&gt;"));
        let long = alert("t", &"word ".repeat(3000), "T", None);
        assert!(long.visible_len() <= TELEGRAM_LIMIT);
    }

    #[test]
    fn lists_are_numbered() {
        let r = following(&["grain".into(), "tin".into()]);
        assert_eq!(
            r.render(Format::Plain),
            "Following 2 topics:\n1. grain\n2. tin\n/unfollow N stops one."
        );
        let u = unanswered(
            &[Unanswered {
                question: "capital of france".into(),
                count: 3,
                first_seen: String::new(),
                last_seen: String::new(),
            }],
            30,
        );
        assert!(
            u.render(Format::Plain)
                .ends_with("\n1. capital of france — 3×"),
            "{}",
            u.render(Format::Plain)
        );
    }
}
