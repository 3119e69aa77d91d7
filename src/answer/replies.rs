//! Everything the bot says, for Telegram (HTML) and for the terminal chat (plain text) alike:
//! built once as [`Rich`] text, then rendered. Handlers and the CLI never write text
//! themselves; every reply fits Telegram's limit.

use std::borrow::Cow;

use super::rich::{Rich, TELEGRAM_LIMIT, utf16_len};
use super::{Answer, human_date};
use crate::search::Index;

/// "1 article", "2 articles".
#[must_use]
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The most characters of a title a reply shows: a title is a line of a file, and a file's
/// first line can be as long as the file.
pub const TITLE_CHARS: usize = 200;

/// `title`, cut to [`TITLE_CHARS`] with `…`.
#[must_use]
pub fn short_title(title: &str) -> Cow<'_, str> {
    match title.char_indices().nth(TITLE_CHARS - 1) {
        Some((cut, _)) if title.chars().count() > TITLE_CHARS => {
            Cow::Owned(format!("{}…", &title[..cut]))
        }
        _ => Cow::Borrowed(title),
    }
}

/// "Title, 30 September 2024", the title cut to [`TITLE_CHARS`].
#[must_use]
pub fn citation(title: &str, date: Option<crate::date::Date>) -> String {
    format!("{}, {}", short_title(title), human_date(date))
}

/// An answer's quote, matched words in bold, then its citation, in at most `budget` visible
/// characters (the quote is cut with `…` to fit; the citation, whose title is cut to
/// [`TITLE_CHARS`], never is).
#[must_use]
pub fn quote(answer: &Answer, budget: usize) -> Rich {
    let citation = format!("\n— {}", citation(&answer.title, answer.date));
    let mut q = Rich::new();
    q.text("“");
    let mut at = 0;
    for r in &answer.highlights {
        if r.start < at || r.end > answer.quote.len() {
            continue;
        }
        q.text(&answer.quote[at..r.start]);
        q.bold(&answer.quote[r.clone()]);
        at = r.end;
    }
    q.text(&answer.quote[at..]);
    q.text("”");
    q.truncate(budget.saturating_sub(utf16_len(&citation)));
    q.text(citation);
    q
}

/// The reply to a question: the best quote, or "not found" with a hint.
#[must_use]
pub fn answer(answers: &[Answer]) -> Rich {
    match answers.first() {
        Some(a) => quote(a, TELEGRAM_LIMIT),
        None => not_found(),
    }
}

/// Nothing in the articles answers the question.
#[must_use]
pub fn not_found() -> Rich {
    let mut r = Rich::new();
    r.text(super::NOT_FOUND);
    r.text(" ");
    r.italic("Try other words, or see /articles for what I know.");
    r
}

/// Further quotes, numbered from `first`.
#[must_use]
pub fn more(answers: &[Answer], first: usize) -> Rich {
    if answers.is_empty() {
        return Rich::plain("No more quotes about that.");
    }
    let each = TELEGRAM_LIMIT / answers.len() - 8;
    let mut r = Rich::new();
    for (i, a) in answers.iter().enumerate() {
        if i > 0 {
            r.text("\n\n");
        }
        r.text(format!("{}. ", first + i));
        r.append(quote(a, each));
    }
    r
}

/// The sentences around an answer's quote (one before, one after), a line each, the quote
/// marked `»` and in bold; `None`
/// when the answer comes from another version of the corpus.
#[must_use]
pub fn context(index: &Index, sentence: u32, generation: u64) -> Option<Rich> {
    if generation != index.generation() || sentence as usize >= index.sentence_count() {
        return None;
    }
    let (article, pos) = index.locate(sentence);
    let citation = format!("\n— {}", citation(&article.title, article.date));
    let from = pos.saturating_sub(1);
    let to = (pos + 2).min(article.sentences.len());
    let mut r = Rich::new();
    for i in from..to {
        if i > from {
            r.text("\n");
        }
        let text = super::quote_text(article.sentence(i));
        if i == pos {
            r.text("» ");
            r.bold(text);
        } else {
            r.text(text);
        }
    }
    r.truncate(TELEGRAM_LIMIT - utf16_len(&citation));
    r.text(citation);
    Some(r)
}

/// An old button after the corpus changed.
#[must_use]
pub fn out_of_date() -> Rich {
    Rich::plain("That answer is from an older version of the articles: please ask again.")
}

/// The articles, newest first, as many as fit.
#[must_use]
pub fn articles(index: &Index) -> Rich {
    let all = index.articles();
    let mut r = Rich::new();
    if all.is_empty() {
        r.text("I have no articles yet.");
        return r;
    }
    r.bold(format!("{}:", plural(all.len(), "article")));
    let reserve = 40;
    for (i, a) in all.iter().enumerate() {
        let line = format!("\n{} — {}", human_date(a.date), short_title(&a.title));
        if r.visible_len() + utf16_len(&line) + reserve > TELEGRAM_LIMIT {
            r.italic(format!("\n… and {} more", all.len() - i));
            break;
        }
        r.text(line);
    }
    r
}

/// How much the bot knows.
#[must_use]
pub fn about(index: &Index) -> Rich {
    let newest = index.articles().iter().filter_map(|a| a.date).max();
    let mut r = Rich::new();
    r.text(format!(
        "I know {} with {}; the newest is from {}.",
        plural(index.articles().len(), "article"),
        plural(index.sentence_count(), "sentence"),
        human_date(newest)
    ));
    r
}

/// Articles per page of `/articles` in the bot.
pub const ARTICLES_PER_PAGE: usize = 20;

/// One page of the articles, newest first, and how many pages there are.
#[must_use]
pub fn articles_page(index: &Index, page: u32) -> (Rich, u32) {
    let all = index.articles();
    let pages = all.len().div_ceil(ARTICLES_PER_PAGE).max(1) as u32;
    let page = page.min(pages - 1);
    let mut r = Rich::new();
    if all.is_empty() {
        r.text("I have no articles yet.");
        return (r, 1);
    }
    if pages > 1 {
        r.bold(format!(
            "{} (page {} of {pages}):",
            plural(all.len(), "article"),
            page + 1
        ));
    } else {
        r.bold(format!("{}:", plural(all.len(), "article")));
    }
    for a in all
        .iter()
        .skip(page as usize * ARTICLES_PER_PAGE)
        .take(ARTICLES_PER_PAGE)
    {
        let title: String = a.title.chars().take(150).collect();
        r.text(format!("\n{} — {title}", human_date(a.date)));
    }
    r.truncate(TELEGRAM_LIMIT);
    (r, pages)
}

/// How much the bot knows, and when it last read the folder.
#[must_use]
pub fn about_live(index: &Index, last_read: Option<std::time::SystemTime>) -> Rich {
    let mut r = about(index);
    if let Some(t) = last_read {
        let secs = t
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let day = crate::date::Date::from_days_since_epoch((secs / 86_400) as i64);
        r.text(format!(
            " The articles were last read on {} at {:02}:{:02} UTC.",
            day.human(),
            secs % 86_400 / 3600,
            secs % 3600 / 60
        ));
    }
    r
}

/// An admin command from someone else.
#[must_use]
pub fn admins_only() -> Rich {
    Rich::plain("Sorry, that command is for the bot's admins.")
}

/// A document from someone who is not an admin.
#[must_use]
pub fn uploads_admins_only() -> Rich {
    Rich::plain(
        "Thanks, but only the bot's admins can add articles. Send me a question in words instead.",
    )
}

/// What a reload did.
#[must_use]
pub fn reloaded(report: &crate::live::Report) -> Rich {
    let mut r = Rich::new();
    if report.unchanged() {
        r.text("Reloaded: nothing changed.");
    } else {
        r.text(format!(
            "Reloaded: {} added, {} changed, {} removed.",
            report.added, report.changed, report.removed
        ));
    }
    r.text(format!(
        " I now know {} with {}.",
        plural(report.articles, "article"),
        plural(report.sentences, "sentence")
    ));
    if !report.problems.is_empty() {
        r.bold(format!("\n{}:", plural(report.problems.len(), "problem")));
        for p in &report.problems {
            r.text(format!("\n• {p}"));
        }
    }
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// A reload that failed as a whole.
#[must_use]
pub fn reload_failed() -> Rich {
    Rich::plain(
        "The articles folder could not be read; I keep answering from the articles I had. The log has the details.",
    )
}

/// A document added as an article.
#[must_use]
pub fn added(a: &crate::live::Added) -> Rich {
    let mut r = Rich::new();
    r.text("Added “");
    r.bold(short_title(&a.title));
    r.text(format!(
        "”, {}, read as {}; saved as {}",
        human_date(a.date),
        plural(a.sentences, "sentence"),
        a.saved_as
    ));
    match &a.renamed_from {
        Some(from) => r.text(format!(" (“{from}” was taken or unsafe as a name).")),
        None => r.text("."),
    };
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// A web page (a link, a saved page) that was added: its title, its date or "no date found",
/// its sentences.
#[must_use]
pub fn web_added(w: &crate::web::WebAdded) -> Rich {
    let a = &w.added;
    let mut r = Rich::new();
    r.text("Added “");
    r.bold(short_title(&a.title));
    r.text(format!(
        "”, {}, read as {}; saved as {}.",
        a.date
            .map_or_else(|| "no date found".to_string(), crate::date::Date::human),
        plural(a.sentences, "sentence"),
        a.saved_as
    ));
    if a.date.is_none() {
        r.text(" Answers from it will say the date is unknown; add the date to its file's header (date: YYYY-MM-DD) to fix it.");
    }
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// `/add` without a link.
#[must_use]
pub fn add_usage() -> Rich {
    Rich::plain(
        "Send /add with the article's link, e.g. /add https://example.org/news/story, or just send me the link.",
    )
}

/// Links are added from private chats only.
#[must_use]
pub fn add_in_private() -> Rich {
    Rich::plain("Send me the link in a private chat to add it.")
}

/// A document that was not added, and why.
#[must_use]
pub fn not_added(refusal: &crate::live::Refusal) -> Rich {
    let mut r = Rich::new();
    let why = refusal.to_string();
    r.text(format!("Not added: {}.", why.trim_end_matches('.')));
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// The greeting for `/start`, followed by the commands.
#[must_use]
pub fn start(commands: &str) -> Rich {
    let mut r = Rich::new();
    r.text("Hi! Ask me anything about the news articles I know, and I'll quote the sentence that answers it, with its article and date.\n\n");
    r.text(commands);
    r
}

/// The commands, for `/help`.
#[must_use]
pub fn help(commands: &str) -> Rich {
    let mut r = Rich::new();
    r.text(commands);
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// For a sticker, a photo, a voice message…
#[must_use]
pub fn not_text() -> Rich {
    Rich::plain("Send me a question in words, and I'll quote the articles.")
}

/// For `/ask` without a question.
#[must_use]
pub fn ask_what() -> Rich {
    let mut r = Rich::new();
    r.text("Ask a question after /ask, for example: ");
    r.italic("/ask What did Mishustin say about grain?");
    r
}

/// For a command the bot does not have.
#[must_use]
pub fn unknown_command() -> Rich {
    Rich::plain("I don't know that command. See /help.")
}

/// When answering failed inside the bot (a bug: the log has it).
#[must_use]
pub fn went_wrong() -> Rich {
    Rich::plain(
        "Sorry, something went wrong while I looked for that. Please try again, or ask in other words.",
    )
}

/// For a chat the bot does not serve.
#[must_use]
pub fn refusal() -> Rich {
    Rich::plain("Sorry, I only answer in the chats I was set up for.")
}

#[cfg(test)]
mod tests {
    use super::super::rich::Format;
    use super::*;
    use crate::date::Date;

    fn answer_with(quote: &str, highlights: Vec<std::ops::Range<usize>>) -> Answer {
        Answer {
            quote: quote.into(),
            title: "Grain <deal> & more".into(),
            date: Date::new(2024, 9, 30),
            path: "corpus/a.txt".into(),
            source: None,
            score: 0.9,
            highlights,
            sentence: 0,
            generation: 1,
        }
    }

    #[test]
    fn quotes_bold_the_matched_words_and_escape_everything() {
        let a = answer_with("Iran <b>grain</b> & rice", std::iter::once(8..13).collect());
        let r = answer(std::slice::from_ref(&a));
        assert_eq!(
            r.render(Format::Html),
            "“Iran &lt;b&gt;<b>grain</b>&lt;/b&gt; &amp; rice”\n— Grain &lt;deal&gt; &amp; more, 30 September 2024"
        );
        assert_eq!(
            r.render(Format::Plain),
            "“Iran <b>grain</b> & rice”\n— Grain <deal> & more, 30 September 2024"
        );
    }

    #[test]
    fn a_long_quote_is_cut_and_the_citation_kept() {
        let long = "word ".repeat(2000);
        let a = answer_with(long.trim(), std::iter::once(0..4).collect());
        let r = answer(&[a]);
        assert!(r.visible_len() <= TELEGRAM_LIMIT, "{}", r.visible_len());
        let plain = r.render(Format::Plain);
        assert!(
            plain.contains("…”") || plain.contains("…\n"),
            "{}",
            &plain[plain.len() - 80..]
        );
        assert!(plain.ends_with("— Grain <deal> & more, 30 September 2024"));
        let many = vec![answer_with(long.trim(), vec![]); 3];
        assert!(more(&many, 2).visible_len() <= TELEGRAM_LIMIT);
    }

    #[test]
    fn not_found_gives_a_hint() {
        let r = answer(&[]);
        assert!(
            r.render(Format::Html)
                .contains("<i>Try other words, or see /articles")
        );
    }

    #[test]
    fn a_title_longer_than_a_message_is_cut_in_replies() {
        // Found by the property tests: a 5,000-character title made a reply too long.
        let mut a = answer_with("Short quote.", vec![]);
        a.title = "t".repeat(5000);
        let r = answer(&[a]);
        assert!(r.visible_len() <= TELEGRAM_LIMIT, "{}", r.visible_len());
        assert!(
            r.render(Format::Plain)
                .ends_with(&format!("{}…, 30 September 2024", "t".repeat(199)))
        );
        assert_eq!(short_title("short"), "short");
        assert_eq!(short_title(&"é".repeat(200)), "é".repeat(200));
        assert_eq!(short_title(&"é".repeat(201)).chars().count(), 200);
    }
}
