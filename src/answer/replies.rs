//! Everything the bot says, for Telegram (HTML) and for the terminal chat (plain text) alike:
//! built once as [`Rich`] text, then rendered, in the reader's language ([`Lang`]: the words
//! from the catalogues in [`crate::i18n`]; quotes and titles as the articles have them, in
//! isolates in Persian). Handlers and the CLI never write text themselves; every reply fits
//! Telegram's limit. The functions without a language (`answer`, `more`, `context`, `quote`,
//! `articles`, `articles_page`, `about`) are the English ones, which the CLI and the tests use.

use std::borrow::Cow;

use super::Answer;
use super::rich::{Rich, Style, TELEGRAM_LIMIT, utf16_len};
use crate::date::Date;
use crate::i18n::{self, FSI, Lang, PDI, count, isolate, number, text};
use std::sync::Arc;

use crate::corpus::Article;

/// "1 article", "2 articles" (English, for the CLI's own lines).
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

/// Appends the entry `key` in `lang` to `r` in `style`, each placeholder filled from `args`
/// (name, value, style of the value): a title can be bold in the middle of a sentence whatever
/// the sentence's word order.
pub fn put(r: &mut Rich, lang: Lang, key: &str, style: Style, args: &[(&str, &str, Style)]) {
    let names: Vec<&str> = args.iter().map(|(n, _, _)| *n).collect();
    for piece in i18n::pieces(text(lang, key), &names) {
        match piece {
            i18n::Piece::Text(t) => r.push(t, style),
            i18n::Piece::Arg(i) => r.push(args[i].1, args[i].2),
        };
    }
}

/// The entry `key` in `lang` as plain text.
#[must_use]
pub fn say(lang: Lang, key: &str) -> Rich {
    Rich::plain(text(lang, key))
}

/// The marks around a quote: “…” in English, «…» in Russian and Persian.
#[must_use]
pub fn quote_marks(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::En => ("“", "”"),
        Lang::Ru | Lang::Fa => ("«", "»"),
    }
}

/// "Title, 30 September 2024", the title cut to [`TITLE_CHARS`] (and isolated in Persian).
#[must_use]
pub fn citation(lang: Lang, title: &str, date: Option<Date>) -> String {
    let comma = if lang == Lang::Fa { "،" } else { "," };
    format!(
        "{}{comma} {}",
        isolate(lang, &short_title(title)),
        i18n::date_or_unknown(lang, date)
    )
}

/// [`quote_in`] in English.
#[must_use]
pub fn quote(answer: &Answer, budget: usize) -> Rich {
    quote_in(Lang::En, answer, budget)
}

/// An answer's quote, matched words in bold, then its citation, in at most `budget` visible
/// characters (the quote is cut with `…` to fit; the citation, whose title is cut to
/// [`TITLE_CHARS`], never is). In Persian the quote is an isolate, closed again after a cut.
#[must_use]
pub fn quote_in(lang: Lang, answer: &Answer, budget: usize) -> Rich {
    let citation = format!("\n— {}", citation(lang, &answer.title, answer.date));
    let (open, close) = quote_marks(lang);
    let mut q = Rich::new();
    q.text(open);
    if lang.is_rtl() {
        q.text(FSI.to_string());
    }
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
    if lang.is_rtl() {
        q.text(PDI.to_string());
    }
    q.text(close);
    let limit = budget.saturating_sub(utf16_len(&citation));
    if lang.is_rtl() && q.visible_len() > limit {
        q.truncate(limit.saturating_sub(1));
        q.text(PDI.to_string());
    } else {
        q.truncate(limit);
    }
    q.text(citation);
    q
}

/// [`answer_in`] in English.
#[must_use]
pub fn answer(answers: &[Answer]) -> Rich {
    answer_in(Lang::En, answers)
}

/// The reply to a question: the best quote, or "not found" with a hint.
#[must_use]
pub fn answer_in(lang: Lang, answers: &[Answer]) -> Rich {
    match answers.first() {
        Some(a) => quote_in(lang, a, TELEGRAM_LIMIT),
        None => not_found(lang),
    }
}

/// Nothing in the articles answers the question.
#[must_use]
pub fn not_found(lang: Lang) -> Rich {
    let mut r = Rich::new();
    r.text(text(lang, "not_found"));
    r.text(" ");
    r.italic(text(lang, "not_found_hint"));
    r
}

/// [`more_in`] in English.
#[must_use]
pub fn more(answers: &[Answer], first: usize) -> Rich {
    more_in(Lang::En, answers, first)
}

/// Further quotes, numbered from `first`.
#[must_use]
pub fn more_in(lang: Lang, answers: &[Answer], first: usize) -> Rich {
    if answers.is_empty() {
        return say(lang, "no_more");
    }
    let each = TELEGRAM_LIMIT / answers.len() - 8;
    let mut r = Rich::new();
    for (i, a) in answers.iter().enumerate() {
        if i > 0 {
            r.text("\n\n");
        }
        r.text(format!("{}. ", number(lang, first + i)));
        r.append(quote_in(lang, a, each));
    }
    r
}

/// [`context_in`] in English.
#[must_use]
pub fn context(context: &super::Context) -> Rich {
    context_in(Lang::En, context)
}

/// The sentences around an answer's quote (one before, one after), a line each, the quote
/// marked `»` and in bold.
#[must_use]
pub fn context_in(lang: Lang, context: &super::Context) -> Rich {
    let (article, pos) = (&*context.article, context.position);
    let citation = format!("\n— {}", citation(lang, &article.title, article.date));
    let from = pos.saturating_sub(1);
    let to = (pos + 2).min(article.sentences.len());
    let mut r = Rich::new();
    for i in from..to {
        if i > from {
            r.text("\n");
        }
        let text = isolate(lang, &super::quote_text(article.sentence(i))).into_owned();
        if i == pos {
            r.text("» ");
            r.bold(text);
        } else {
            r.text(text);
        }
    }
    r.truncate(TELEGRAM_LIMIT - utf16_len(&citation));
    r.text(citation);
    r
}

/// An old button after the corpus changed.
#[must_use]
pub fn out_of_date(lang: Lang) -> Rich {
    say(lang, "out_of_date")
}

/// One line of a list of articles: "\n30 September 2024 — Title".
fn article_line(lang: Lang, date: Option<Date>, title: &str) -> String {
    format!(
        "\n{} — {}",
        i18n::date_or_unknown(lang, date),
        isolate(lang, title)
    )
}

/// [`articles_in`] in English.
#[must_use]
pub fn articles(articles: &[Arc<Article>]) -> Rich {
    articles_in(Lang::En, articles)
}

/// The articles, newest first, as many as fit.
#[must_use]
pub fn articles_in(lang: Lang, articles: &[Arc<Article>]) -> Rich {
    let all = articles;
    let mut r = Rich::new();
    if all.is_empty() {
        r.text(text(lang, "no_articles"));
        return r;
    }
    r.bold(format!("{}:", count(lang, all.len(), "article")));
    let reserve = 40;
    for (i, a) in all.iter().enumerate() {
        let line = article_line(lang, a.date, &short_title(&a.title));
        if r.visible_len() + utf16_len(&line) + reserve > TELEGRAM_LIMIT {
            let rest = number(lang, all.len() - i);
            let more = i18n::fill(lang, "articles_and_more", &[("n", &rest)]);
            r.italic(format!("\n{more}"));
            break;
        }
        r.text(line);
    }
    r
}

/// [`about_in`] in English.
#[must_use]
pub fn about(articles: &[Arc<Article>], sentences: usize) -> Rich {
    about_in(Lang::En, articles, sentences)
}

/// How much the bot knows.
#[must_use]
pub fn about_in(lang: Lang, articles: &[Arc<Article>], sentences: usize) -> Rich {
    let newest = articles.iter().filter_map(|a| a.date).max();
    Rich::plain(i18n::fill(
        lang,
        "about",
        &[
            ("articles", &count(lang, articles.len(), "article")),
            ("sentences", &count(lang, sentences, "sentence")),
            ("date", &i18n::date_or_unknown(lang, newest)),
        ],
    ))
}

/// Articles per page of `/articles` in the bot.
pub const ARTICLES_PER_PAGE: usize = 20;

/// [`articles_page_in`] in English.
#[must_use]
pub fn articles_page(articles: &[Arc<Article>], page: u32) -> (Rich, u32) {
    articles_page_in(Lang::En, articles, page)
}

/// One page of the articles, newest first, and how many pages there are.
#[must_use]
pub fn articles_page_in(lang: Lang, articles: &[Arc<Article>], page: u32) -> (Rich, u32) {
    let all = articles;
    let pages = all.len().div_ceil(ARTICLES_PER_PAGE).max(1) as u32;
    let page = page.min(pages - 1);
    let mut r = Rich::new();
    if all.is_empty() {
        r.text(text(lang, "no_articles"));
        return (r, 1);
    }
    let articles = count(lang, all.len(), "article");
    if pages > 1 {
        r.bold(i18n::fill(
            lang,
            "articles_heading_paged",
            &[
                ("articles", &articles),
                ("page", &number(lang, page + 1)),
                ("pages", &number(lang, pages)),
            ],
        ));
    } else {
        r.bold(format!("{articles}:"));
    }
    for a in all
        .iter()
        .skip(page as usize * ARTICLES_PER_PAGE)
        .take(ARTICLES_PER_PAGE)
    {
        let title: String = a.title.chars().take(150).collect();
        r.text(article_line(lang, a.date, &title));
    }
    r.truncate(TELEGRAM_LIMIT);
    (r, pages)
}

/// How much the bot knows, and when it last read the folder.
#[must_use]
pub fn about_live(
    lang: Lang,
    articles: &[Arc<Article>],
    sentences: usize,
    last_read: Option<std::time::SystemTime>,
) -> Rich {
    let mut r = about_in(lang, articles, sentences);
    if let Some(t) = last_read {
        let secs = t
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let day = Date::from_days_since_epoch((secs / 86_400) as i64);
        let time = format!("{:02}:{:02}", secs % 86_400 / 3600, secs % 3600 / 60);
        r.text(i18n::fill(
            lang,
            "about_last_read",
            &[
                ("date", &i18n::date(lang, day)),
                ("time", &number(lang, time)),
            ],
        ));
    }
    r
}

/// An admin command from someone else.
#[must_use]
pub fn admins_only(lang: Lang) -> Rich {
    say(lang, "admins_only")
}

/// A document from someone who is not an admin.
#[must_use]
pub fn uploads_admins_only(lang: Lang) -> Rich {
    say(lang, "uploads_admins_only")
}

/// What a reload did (the problems as the corpus reports them, in English: they name files
/// and lines for whoever fixes them).
#[must_use]
pub fn reloaded(lang: Lang, report: &crate::corpus::ReloadReport) -> Rich {
    let mut r = Rich::new();
    if report.unchanged() {
        r.text(text(lang, "reloaded_unchanged"));
    } else {
        r.text(i18n::fill(
            lang,
            "reloaded",
            &[
                ("added", &number(lang, report.added)),
                ("changed", &number(lang, report.changed)),
                ("removed", &number(lang, report.removed)),
            ],
        ));
    }
    r.text(i18n::fill(
        lang,
        "reloaded_now",
        &[
            ("articles", &count(lang, report.articles, "article")),
            ("sentences", &count(lang, report.sentences, "sentence")),
        ],
    ));
    if !report.problems.is_empty() {
        r.bold(format!(
            "\n{}:",
            count(lang, report.problems.len(), "problem")
        ));
        for p in &report.problems {
            r.text(format!("\n• {p}"));
        }
    }
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// A reload that failed as a whole.
#[must_use]
pub fn reload_failed(lang: Lang) -> Rich {
    say(lang, "reload_failed")
}

/// A document added as an article.
#[must_use]
pub fn added(lang: Lang, a: &crate::intake::Added) -> Rich {
    let title = isolate(lang, &short_title(&a.title)).into_owned();
    let date = i18n::date_or_unknown(lang, a.date);
    let sentences = count(lang, a.sentences, "sentence");
    let file = isolate(lang, &a.saved_as).into_owned();
    let mut r = Rich::new();
    let mut args = vec![
        ("title", title.as_str(), Style::Bold),
        ("date", date.as_str(), Style::Normal),
        ("sentences", sentences.as_str(), Style::Normal),
        ("file", file.as_str(), Style::Normal),
    ];
    let from = a
        .renamed_from
        .as_deref()
        .map(|f| isolate(lang, f).into_owned());
    match &from {
        Some(from) => {
            args.push(("from", from, Style::Normal));
            put(&mut r, lang, "added_renamed", Style::Normal, &args);
        }
        None => put(&mut r, lang, "added", Style::Normal, &args),
    }
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// A web page (a link, a saved page) that was added: its title, its date or "no date found",
/// its sentences.
#[must_use]
pub fn web_added(lang: Lang, w: &crate::intake::WebAdded) -> Rich {
    let a = &w.added;
    let title = isolate(lang, &short_title(&a.title)).into_owned();
    let date = a.date.map_or_else(
        || text(lang, "no_date_found").to_string(),
        |d| i18n::date(lang, d),
    );
    let sentences = count(lang, a.sentences, "sentence");
    let file = isolate(lang, &a.saved_as).into_owned();
    let mut r = Rich::new();
    put(
        &mut r,
        lang,
        "added",
        Style::Normal,
        &[
            ("title", &title, Style::Bold),
            ("date", &date, Style::Normal),
            ("sentences", &sentences, Style::Normal),
            ("file", &file, Style::Normal),
        ],
    );
    if a.date.is_none() {
        r.text(text(lang, "added_no_date"));
    }
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// `/add` without a link.
#[must_use]
pub fn add_usage(lang: Lang) -> Rich {
    say(lang, "add_usage")
}

/// Links are added from private chats only.
#[must_use]
pub fn add_in_private(lang: Lang) -> Rich {
    say(lang, "add_in_private")
}

/// Why a document or page was refused, in `lang` (a reason that is a file's own problem, or
/// the web's, is said as the library says it).
#[must_use]
pub fn refusal_reason(lang: Lang, refusal: &crate::intake::Refusal) -> String {
    use crate::intake::Refusal;
    match refusal {
        Refusal::TooLarge => text(lang, "refused_too_large").to_string(),
        Refusal::NotText => text(lang, "refused_not_text").to_string(),
        Refusal::NoDate => text(lang, "refused_no_date").to_string(),
        Refusal::Duplicate(file) => {
            i18n::fill(lang, "refused_duplicate", &[("file", &isolate(lang, file))])
        }
        Refusal::Io(e) => i18n::fill(lang, "refused_not_saved", &[("error", &isolate(lang, e))]),
        // The page readers give their reasons as text; the one readers meet most (a link to
        // something that is not an article) is known by its words.
        Refusal::Web(why) if *why == crate::web::extract::NotArticle::NoText.to_string() => {
            text(lang, "refused_no_text").to_string()
        }
        Refusal::Invalid(why) | Refusal::Web(why) => isolate(lang, why).into_owned(),
    }
}

/// Why a link could not be fetched, in `lang`.
#[must_use]
pub fn fetch_failed(lang: Lang, e: &crate::web::FetchError) -> String {
    use crate::web::FetchError;
    use crate::web::fetch::{MAX_BYTES, MAX_REDIRECTS, TOTAL_TIMEOUT};
    match e {
        FetchError::BadUrl(why) => isolate(lang, why).into_owned(),
        FetchError::Private(address) => i18n::fill(
            lang,
            "fetch_private",
            &[("address", &isolate(lang, address))],
        ),
        FetchError::TooManyRedirects => i18n::fill(
            lang,
            "fetch_redirects",
            &[("n", &number(lang, MAX_REDIRECTS))],
        ),
        FetchError::Timeout => i18n::fill(
            lang,
            "fetch_timeout",
            &[("n", &number(lang, TOTAL_TIMEOUT.as_secs()))],
        ),
        FetchError::Status(status) => {
            i18n::fill(lang, "fetch_status", &[("status", &isolate(lang, status))])
        }
        FetchError::WrongType(kind) => {
            i18n::fill(lang, "fetch_wrong_type", &[("kind", &isolate(lang, kind))])
        }
        FetchError::TooLarge => i18n::fill(
            lang,
            "fetch_too_large",
            &[("n", &number(lang, MAX_BYTES / 1024 / 1024))],
        ),
        FetchError::Network(why) => {
            i18n::fill(lang, "fetch_network", &[("error", &isolate(lang, why))])
        }
    }
}

/// A saved page that is not a web page (a binary file, one too large).
#[must_use]
pub fn not_a_page(lang: Lang) -> String {
    text(lang, "refused_not_a_page").to_string()
}

/// A document that was not added, and why.
#[must_use]
pub fn not_added(lang: Lang, refusal: &crate::intake::Refusal) -> Rich {
    let why = refusal_reason(lang, refusal);
    let mut r = Rich::plain(i18n::fill(
        lang,
        "not_added",
        &[("why", why.trim_end_matches('.'))],
    ));
    r.truncate(TELEGRAM_LIMIT);
    r
}

/// The commands for `/help`: groups of (heading key, command names as `/name`), each command
/// with its description from the catalogue, written as teloxide writes its descriptions.
#[must_use]
pub fn commands(lang: Lang, groups: &[(&str, Vec<String>)]) -> String {
    let mut out = String::new();
    for (i, (heading, names)) in groups.iter().enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(text(lang, heading));
        out.push_str("\n\n");
        for (j, name) in names.iter().enumerate() {
            if j > 0 {
                out.push('\n');
            }
            if lang.is_rtl() {
                out.push(i18n::RLM);
            }
            out.push_str(name);
            out.push_str(" — ");
            out.push_str(command_description(lang, name));
        }
    }
    out
}

/// The description of command `name` (`/start` or `start`) in `lang`, for `/help` and for
/// Telegram's command menu.
#[must_use]
pub fn command_description(lang: Lang, name: &str) -> &'static str {
    text(lang, &format!("command_{}", name.trim_start_matches('/')))
}

/// The greeting for `/start`, followed by the commands.
#[must_use]
pub fn start(lang: Lang, commands: &str) -> Rich {
    let mut r = Rich::new();
    r.text(text(lang, "start"));
    r.text("\n\n");
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
pub fn not_text(lang: Lang) -> Rich {
    say(lang, "not_text")
}

/// For `/ask` without a question.
#[must_use]
pub fn ask_what(lang: Lang) -> Rich {
    let mut r = Rich::new();
    r.text(text(lang, "ask_what"));
    r.italic(text(lang, "ask_example"));
    r
}

/// For a command the bot does not have.
#[must_use]
pub fn unknown_command(lang: Lang) -> Rich {
    say(lang, "unknown_command")
}

/// When answering failed inside the bot (a bug: the log has it).
#[must_use]
pub fn went_wrong(lang: Lang) -> Rich {
    say(lang, "went_wrong")
}

/// For a chat the bot does not serve.
#[must_use]
pub fn refusal(lang: Lang) -> Rich {
    say(lang, "refusal")
}

#[cfg(test)]
mod tests {
    use super::super::rich::Format;
    use super::*;

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

    /// In Russian and Persian the words are translated, the quote and title are not, and the
    /// date is the reader's; in Persian the quote and title are isolates.
    #[test]
    fn answers_in_russian_and_persian() {
        let a = answer_with("Iran <b>grain</b> & rice", std::iter::once(8..13).collect());
        assert_eq!(
            answer_in(Lang::Ru, std::slice::from_ref(&a)).render(Format::Html),
            "«Iran &lt;b&gt;<b>grain</b>&lt;/b&gt; &amp; rice»\n— Grain &lt;deal&gt; &amp; more, 30 сентября 2024"
        );
        assert_eq!(
            answer_in(Lang::Fa, std::slice::from_ref(&a)).render(Format::Plain),
            "«\u{2068}Iran <b>grain</b> & rice\u{2069}»\n— \u{2068}Grain <deal> & more\u{2069}، ۹ مهر ۱۴۰۳ (30 September 2024)"
        );
        assert!(
            answer_in(Lang::Ru, &[])
                .render(Format::Html)
                .starts_with("Извините, в статьях об этом ничего нет. <i>Попробуйте другие слова")
        );
        assert!(
            answer_in(Lang::Fa, &[])
                .render(Format::Plain)
                .starts_with("متأسفم، در مقاله‌ها چیزی")
        );
        // A long Persian quote is cut, fits, and its isolate is closed.
        let long = "word ".repeat(2000);
        let cut = answer_in(Lang::Fa, &[answer_with(long.trim(), vec![])]);
        assert!(cut.visible_len() <= TELEGRAM_LIMIT, "{}", cut.visible_len());
        let plain = cut.render(Format::Plain);
        assert_eq!(plain.matches(FSI).count(), plain.matches(PDI).count());
        assert!(
            plain.contains("…\u{2069}\n— "),
            "{}",
            &plain[plain.len() - 120..]
        );
    }

    /// The English reasons for a refusal are what the library's errors say, word for word, so
    /// that nothing changed for English readers.
    #[test]
    fn english_reasons_are_the_errors_own_words() {
        use crate::intake::Refusal;
        use crate::web::FetchError;
        for r in [
            Refusal::TooLarge,
            Refusal::NotText,
            Refusal::NoDate,
            Refusal::Duplicate("a.txt".into()),
            Refusal::Io("disk full".into()),
            Refusal::Invalid("no text".into()),
            Refusal::Web(crate::web::extract::NotArticle::NoText.to_string()),
        ] {
            assert_eq!(refusal_reason(Lang::En, &r), r.to_string());
            assert_ne!(refusal_reason(Lang::Ru, &r), "", "{r:?}");
        }
        for e in [
            FetchError::BadUrl("not a link".into()),
            FetchError::Private("10.0.0.1".into()),
            FetchError::TooManyRedirects,
            FetchError::Timeout,
            FetchError::Status("404 Not Found".into()),
            FetchError::WrongType("image/png".into()),
            FetchError::TooLarge,
            FetchError::Network("connection refused".into()),
        ] {
            assert_eq!(fetch_failed(Lang::En, &e), e.to_string());
        }
        assert_eq!(
            fetch_failed(Lang::Ru, &FetchError::TooLarge),
            "страница больше 5 МиБ"
        );
        assert_eq!(
            not_added(
                Lang::Ru,
                &Refusal::Web(crate::web::extract::NotArticle::NoText.to_string())
            )
            .render(Format::Plain),
            "Не добавлено: на странице не найден текст статьи."
        );
        assert_eq!(
            not_added(Lang::Fa, &Refusal::NotText).render(Format::Plain),
            "افزوده نشد: فقط فایل‌های .txt و .md و .html می‌توانند مقاله باشند."
        );
    }
}
