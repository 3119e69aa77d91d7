//! A conversation with the bot in the terminal (`quotebot chat`): questions get the bot's
//! replies (from [`crate::answer::replies`], as plain text), and the bot's buttons are typed
//! (`/more` for "More", `/context` for "Context"), in English, Russian or Persian
//! (`quotebot chat --lang`).

use crate::answer::Answer;
use crate::answer::replies;
use crate::answer::rich::Format;
use crate::engine::Engine;
use crate::i18n::{self, Lang};

/// How many further answers "More" shows.
pub const MORE_ANSWERS: usize = 3;

/// What the chat shows for `/help`, in `lang`.
#[must_use]
pub fn help(lang: Lang) -> &'static str {
    i18n::text(lang, "chat_help")
}

/// The line an interactive chat starts with: what the bot knows, and how to go on.
#[must_use]
pub fn banner(engine: &Engine, lang: Lang) -> String {
    let about = replies::about_in(
        lang,
        engine.index().articles(),
        engine.index().sentence_count(),
    )
    .render(Format::Plain);
    i18n::fill(lang, "chat_banner", &[("about", &about)])
}

/// One terminal conversation.
pub struct Session<'a> {
    engine: &'a Engine,
    lang: Lang,
    question: Option<String>,
    shown: Vec<Answer>,
}

/// What to do after a line.
#[derive(Debug, PartialEq)]
pub enum Step {
    /// Show this reply and read the next line.
    Reply(String),
    /// Leave the chat.
    Quit,
}

impl<'a> Session<'a> {
    /// A new conversation, in English.
    #[must_use]
    pub fn new(engine: &'a Engine) -> Session<'a> {
        Session::in_lang(engine, Lang::En)
    }

    /// A new conversation in `lang`.
    #[must_use]
    pub fn in_lang(engine: &'a Engine, lang: Lang) -> Session<'a> {
        Session {
            engine,
            lang,
            question: None,
            shown: Vec::new(),
        }
    }

    /// Handles one line the user typed.
    pub fn handle(&mut self, line: &str) -> Step {
        let line = line.trim();
        let (command, rest) = match line.strip_prefix('/') {
            Some(c) => {
                let (name, rest) = c.split_once(char::is_whitespace).unwrap_or((c, ""));
                (Some(name.to_lowercase()), rest.trim())
            }
            None => (None, line),
        };
        let index = self.engine.index();
        let lang = self.lang;
        let reply = match command.as_deref() {
            None if rest.is_empty() => return Step::Reply(String::new()),
            None | Some("ask") => self.answer(rest),
            Some("quit" | "exit" | "q") => return Step::Quit,
            Some("help") => help(lang).to_string(),
            Some("start") => replies::start(lang, help(lang)).render(Format::Plain),
            Some("more") => self.more(),
            Some("context") => self.context(),
            Some("articles") => replies::articles_in(lang, index.articles()).render(Format::Plain),
            Some("about") => replies::about_in(lang, index.articles(), index.sentence_count())
                .render(Format::Plain),
            Some(_) => replies::unknown_command(lang).render(Format::Plain),
        };
        Step::Reply(reply)
    }

    fn answer(&mut self, question: &str) -> String {
        if question.is_empty() {
            return replies::ask_what(self.lang).render(Format::Plain);
        }
        let answers = self
            .engine
            .ask_with(question, 1, self.engine.config().min_score);
        self.question = Some(question.to_string());
        self.shown = answers.clone();
        replies::answer_in(self.lang, &answers).render(Format::Plain)
    }

    fn more(&mut self) -> String {
        let Some(question) = &self.question else {
            return i18n::text(self.lang, "ask_first").into();
        };
        let new = self.engine.more(question, &self.shown, MORE_ANSWERS);
        let first = self.shown.len() + 1;
        self.shown.extend(new.iter().cloned());
        replies::more_in(self.lang, &new, first).render(Format::Plain)
    }

    fn context(&self) -> String {
        let Some(last) = self.shown.last() else {
            return i18n::text(self.lang, "ask_first").into();
        };
        self.engine
            .context(last.sentence, last.generation)
            .map_or_else(
                || replies::out_of_date(self.lang),
                |c| replies::context_in(self.lang, &c),
            )
            .render(Format::Plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SearchConfig;
    use crate::corpus::Article;
    use crate::search::Index;
    use std::path::Path;

    fn engine() -> Engine {
        let text = "date 2024-09-30 Grain prices rose. Grain exports grew fast. Oil fell. Grain is a staple.";
        let (a, _) = Article::parse(Path::new("c/2024-09-30-grain.txt"), text.as_bytes()).unwrap();
        Engine::new(Index::build(vec![a]), SearchConfig::default())
    }

    fn reply(s: &mut Session, line: &str) -> String {
        match s.handle(line) {
            Step::Reply(r) => r,
            Step::Quit => panic!("quit on {line:?}"),
        }
    }

    #[test]
    fn questions_more_and_context() {
        let e = engine();
        let mut s = Session::new(&e);
        let first = reply(&mut s, "grain exports");
        assert!(first.starts_with("“Grain exports grew fast.”"), "{first}");
        let more = reply(&mut s, "/more");
        assert!(!more.contains("Grain exports grew fast."), "{more}");
        assert!(
            more.contains("2. “")
                && more.contains("Grain prices rose.")
                && more.contains("Grain is a staple."),
            "{more}"
        );
        assert_eq!(reply(&mut s, "/more"), "No more quotes about that.");
        let last = s.shown.last().unwrap().quote.clone();
        let ctx = reply(&mut s, "/context");
        assert!(
            ctx.contains(&last) && ctx.ends_with("— Grain, 30 September 2024"),
            "{ctx}"
        );
        assert!(ctx.contains(&format!("» {last}")), "{ctx}");
        assert!(ctx.lines().count() >= 3, "a neighbouring sentence: {ctx}");
    }

    #[test]
    fn commands() {
        let e = engine();
        let mut s = Session::new(&e);
        assert_eq!(
            reply(&mut s, "/help"),
            "Ask me anything about the articles and I quote the sentence that answers it.\n/more      the next best quotes for the last question (weaker ones too)\n/context   the sentences around the last quote\n/articles  the articles I know, newest first\n/about     how many articles and sentences I know\n/help      this text\n/quit      leave the chat"
        );
        assert_eq!(
            reply(&mut s, "/articles"),
            "1 article:\n30 September 2024 — Grain"
        );
        assert_eq!(
            reply(&mut s, "/about"),
            "I know 1 article with 4 sentences; the newest is from 30 September 2024."
        );
        assert_eq!(reply(&mut s, "/more"), "Ask a question first.");
        assert!(reply(&mut s, "/nope").contains("/help"));
        assert!(reply(&mut s, "/ask").contains("/ask What did"));
        assert_eq!(reply(&mut s, "   "), "");
        assert_eq!(s.handle("/quit"), Step::Quit);
    }

    #[test]
    fn russian_and_persian_chats() {
        let e = engine();
        let mut ru = Session::in_lang(&e, Lang::Ru);
        assert_eq!(reply(&mut ru, "/more"), "Сначала задайте вопрос.");
        let first = reply(&mut ru, "grain exports");
        assert_eq!(
            first, "«Grain exports grew fast.»\n— Grain, 30 сентября 2024",
            "the quote as it is, the words around it in Russian"
        );
        assert_eq!(
            reply(&mut ru, "/about"),
            "В моей базе 1 статья (4 предложения); самая новая — от 30 сентября 2024."
        );
        let mut fa = Session::in_lang(&e, Lang::Fa);
        assert_eq!(
            reply(&mut fa, "grain exports"),
            "«\u{2068}Grain exports grew fast.\u{2069}»\n— \u{2068}Grain\u{2069}، ۹ مهر ۱۴۰۳ (30 September 2024)"
        );
        assert!(reply(&mut fa, "/help").contains("/quit      بیرون"));
        assert!(banner(&e, Lang::Fa).starts_with("quotebot: ۱ مقاله (۴ جمله)"));
    }
}
