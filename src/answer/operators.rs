//! Everything the bot says about what it remembers: votes, what was not found, follows and
//! their alerts, the counts for admins. Kept together so that they are translated as one; like
//! [`super::replies`], built as [`Rich`] text in the reader's language (an alert in the
//! language of whoever followed the topic).

use super::replies::{citation, put, say};
use super::rich::{Rich, Style, TELEGRAM_LIMIT};
use crate::date::Date;
use crate::i18n::{self, FSI, Lang, PDI, count, isolate, number, text};
use crate::storage::db::{Followed, MAX_FOLLOWS, Unanswered, Votes};

/// The label of the 👍 button (the same in every language).
pub const VOTE_UP: &str = "👍";
/// The label of the 👎 button.
pub const VOTE_DOWN: &str = "👎";

/// The toast after a vote: `changed` when it replaced the person's other vote.
#[must_use]
pub fn voted(lang: Lang, up: bool, changed: bool) -> &'static str {
    let key = match (up, changed) {
        (true, false) => "voted_up",
        (false, false) => "voted_down",
        (true, true) => "vote_changed_up",
        (false, true) => "vote_changed_down",
    };
    text(lang, key)
}

/// The toast when the answer voted on is no longer known (neither kept nor in the articles as
/// they are now): the vote is not counted.
#[must_use]
pub fn vote_unknown(lang: Lang) -> &'static str {
    text(lang, "vote_unknown")
}

/// The toast when the vote could not be saved.
#[must_use]
pub fn vote_not_saved(lang: Lang) -> &'static str {
    text(lang, "vote_not_saved")
}

/// `/unanswered`: the most asked questions that found nothing (or got 👎), with counts.
#[must_use]
pub fn unanswered(lang: Lang, list: &[Unanswered], days: u32) -> Rich {
    let mut r = Rich::new();
    let days = count(lang, days as usize, "day");
    if list.is_empty() {
        r.text(i18n::fill(lang, "unanswered_none", &[("days", &days)]));
        return r;
    }
    r.bold(i18n::fill(lang, "unanswered_heading", &[("days", &days)]));
    for (i, u) in list.iter().enumerate() {
        let question: String = u.question.chars().take(150).collect();
        r.text(format!(
            "\n{}. {} — {}×",
            number(lang, i + 1),
            isolate(lang, &question),
            number(lang, u.count)
        ));
    }
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// What the admins' `/about` adds: questions in the last 24 hours and 7 days, and the votes.
#[must_use]
pub fn about_counts(lang: Lang, day: (u64, u64), week: (u64, u64), votes: Votes) -> Rich {
    let n = |v: u64| number(lang, v);
    let mut r = Rich::new();
    r.text("\n\n");
    r.text(i18n::fill(
        lang,
        "about_counts",
        &[
            ("day_answered", &n(day.0)),
            ("day_not_found", &n(day.1)),
            ("week_answered", &n(week.0)),
            ("week_not_found", &n(week.1)),
            ("up", &n(votes.up)),
            ("down", &n(votes.down)),
        ],
    ));
    r
}

/// `/follow` with no topic.
#[must_use]
pub fn follow_what(lang: Lang) -> Rich {
    let mut r = Rich::new();
    r.text(text(lang, "follow_what"));
    r.italic(text(lang, "follow_example"));
    r.text(text(lang, "follow_what_after"));
    r
}

/// What `/follow TOPIC` did.
#[must_use]
pub fn followed(lang: Lang, topic: &str, outcome: &Followed) -> Rich {
    let mut r = Rich::new();
    let topic = isolate(lang, topic);
    let args = [("topic", topic.as_ref(), Style::Bold)];
    match outcome {
        Followed::Added(_) => put(&mut r, lang, "followed", Style::Normal, &args),
        Followed::Already => put(&mut r, lang, "followed_already", Style::Normal, &args),
        Followed::Full => {
            r.text(i18n::fill(
                lang,
                "followed_full",
                &[("n", &number(lang, MAX_FOLLOWS))],
            ));
        }
    }
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// `/following`: the topics, numbered.
#[must_use]
pub fn following(lang: Lang, topics: &[String]) -> Rich {
    let mut r = Rich::new();
    if topics.is_empty() {
        r.text(text(lang, "following_none"));
        r.italic(text(lang, "follow_example"));
        return r;
    }
    r.bold(i18n::fill(
        lang,
        "following_heading",
        &[("topics", &count(lang, topics.len(), "topic"))],
    ));
    for (i, t) in topics.iter().enumerate() {
        r.text(format!("\n{}. {}", number(lang, i + 1), isolate(lang, t)));
    }
    r.text("\n");
    r.text(text(lang, "following_how_to_stop"));
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// What `/unfollow N` did.
#[must_use]
pub fn unfollowed(lang: Lang, topic: Option<&str>) -> Rich {
    let mut r = Rich::new();
    match topic {
        Some(t) => {
            let t = isolate(lang, t);
            put(
                &mut r,
                lang,
                "unfollowed",
                Style::Normal,
                &[("topic", &t, Style::Bold)],
            );
        }
        None => {
            r.text(text(lang, "unfollow_what"));
        }
    }
    r
}

/// In a group, following is for its admins.
#[must_use]
pub fn follow_admins_only(lang: Lang) -> Rich {
    say(lang, "follow_admins_only")
}

/// When Telegram could not say whether the sender is an admin of the group.
#[must_use]
pub fn admin_check_failed(lang: Lang) -> Rich {
    say(lang, "admin_check_failed")
}

/// When the database could not be read or written.
#[must_use]
pub fn storage_failed(lang: Lang) -> Rich {
    say(lang, "storage_failed")
}

/// When the bot runs without a database (only in tests and embedded uses).
#[must_use]
pub fn no_storage(lang: Lang) -> Rich {
    say(lang, "no_storage")
}

/// An alert: a new article answers a followed topic. In Persian the quote is an isolate,
/// closed again when the quote is cut.
#[must_use]
pub fn alert(lang: Lang, topic: &str, quote: &str, title: &str, date: Option<Date>) -> Rich {
    let quote = if lang.is_rtl() {
        format!("{FSI}{quote}{PDI}")
    } else {
        quote.to_string()
    };
    let mut r = Rich::new();
    put(
        &mut r,
        lang,
        "alert",
        Style::Normal,
        &[("quote", &quote, Style::Normal)],
    );
    let limit = TELEGRAM_LIMIT - 400;
    if lang.is_rtl() && r.visible_len() > limit {
        r.truncate(limit - 1);
        r.text(PDI.to_string());
    } else {
        r.truncate(limit);
    }
    r.text(format!("\n— {}", citation(lang, title, date)));
    let topic = isolate(lang, &short(topic)).into_owned();
    r.italic(format!(
        "\n{}",
        i18n::fill(lang, "alert_because", &[("topic", &topic)])
    ));
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
            Lang::En,
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
        let long = alert(Lang::En, "t", &"word ".repeat(3000), "T", None);
        assert!(long.visible_len() <= TELEGRAM_LIMIT);
    }

    #[test]
    fn lists_are_numbered() {
        let r = following(Lang::En, &["grain".into(), "tin".into()]);
        assert_eq!(
            r.render(Format::Plain),
            "Following 2 topics:\n1. grain\n2. tin\n/unfollow N stops one."
        );
        let u = unanswered(
            Lang::En,
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

    /// A Persian alert: the words in Persian, the English quote and title kept whole in
    /// isolates, the date in both calendars; long quotes still fit, with the isolate closed.
    #[test]
    fn a_persian_alert_isolates_the_quote_and_title() {
        let r = alert(
            Lang::Fa,
            "grain",
            "Iran can become a grain hub.",
            "Iran & Russia",
            Date::new(2024, 9, 30),
        );
        assert_eq!(
            r.render(Format::Plain),
            "مطلب تازه در مقاله‌ها: «\u{2068}Iran can become a grain hub.\u{2069}»\n— \u{2068}Iran & Russia\u{2069}، ۹ مهر ۱۴۰۳ (30 September 2024)\nچون «\u{2068}grain\u{2069}» را دنبال می‌کنید."
        );
        let long = alert(Lang::Fa, "t", &"word ".repeat(3000), "T", None);
        let plain = long.render(Format::Plain);
        assert!(long.visible_len() <= TELEGRAM_LIMIT);
        assert_eq!(
            plain.matches(FSI).count(),
            plain.matches(PDI).count(),
            "{plain}"
        );
        let ru = following(Lang::Ru, &["зерно".into(), "олово".into()]);
        assert_eq!(
            ru.render(Format::Plain),
            "Подписки — 2 темы:\n1. зерно\n2. олово\n/unfollow N — отписаться от одной."
        );
    }
}
