//! A conversation with the bot in the terminal (`quotebot chat`): questions get the same
//! answers as in Telegram, and the bot's commands and buttons are typed (`/more` for "More",
//! `/context` for "Context").

use std::fmt::Write as _;

use crate::answer::{self, Answer};
use crate::engine::Engine;
use crate::search::Index;

/// How many further answers "More" shows.
pub const MORE_ANSWERS: usize = 3;

/// What the chat shows for `/help`.
pub const HELP: &str =
    "Ask me anything about the articles and I quote the sentence that answers it.
Commands:
  /more      the next best quotes for the last question (weaker ones too)
  /context   the sentences around the last quote
  /articles  the articles I know, newest first
  /about     how many articles and sentences I know
  /help      this text
  /quit      leave the chat";

/// One terminal conversation.
pub struct Session<'a> {
    engine: &'a Engine,
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
    /// A new conversation.
    #[must_use]
    pub fn new(engine: &'a Engine) -> Session<'a> {
        Session {
            engine,
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
        let reply = match command.as_deref() {
            None if rest.is_empty() => return Step::Reply(String::new()),
            None | Some("ask") => self.answer(rest),
            Some("quit" | "exit" | "q") => return Step::Quit,
            Some("help" | "start") => HELP.to_string(),
            Some("more") => self.more(),
            Some("context") => self.context(),
            Some("articles") => articles(self.engine.index()),
            Some("about") => about(self.engine.index()),
            Some(other) => format!("I don't know /{other}. {}", "Type /help for the commands."),
        };
        Step::Reply(reply)
    }

    fn answer(&mut self, question: &str) -> String {
        if question.is_empty() {
            return "Ask a question after /ask.".into();
        }
        let answers = self
            .engine
            .ask_with(question, 1, self.engine.config().min_score);
        self.question = Some(question.to_string());
        self.shown = answers.clone();
        answer::plain(&answers)
    }

    fn more(&mut self) -> String {
        let Some(question) = &self.question else {
            return "Ask a question first.".into();
        };
        let wanted = self.shown.len() + MORE_ANSWERS;
        // Asking for more is asking for weaker matches too: no threshold, but every quote
        // still shares a word with the question.
        let all = self.engine.ask_with(question, wanted, 0.0);
        let new: Vec<Answer> = all
            .into_iter()
            .filter(|a| !self.shown.iter().any(|s| s.quote == a.quote))
            .take(MORE_ANSWERS)
            .collect();
        if new.is_empty() {
            return "No more quotes about that.".into();
        }
        self.shown.extend(new.iter().cloned());
        answer::plain(&new)
    }

    fn context(&self) -> String {
        let Some(last) = self.shown.last() else {
            return "Ask a question first.".into();
        };
        context(self.engine.index(), last).unwrap_or_else(|| "That answer is out of date.".into())
    }
}

/// The sentences around an answer's quote (one before, one after), with the quote marked.
#[must_use]
pub fn context(index: &Index, answer: &Answer) -> Option<String> {
    if answer.generation != index.generation() {
        return None;
    }
    let (article, pos) = index.locate(answer.sentence);
    let from = pos.saturating_sub(1);
    let to = (pos + 2).min(article.sentences.len());
    let mut out = String::new();
    for i in from..to {
        let text = answer::quote_text(article.sentence(i));
        if i == pos {
            let _ = writeln!(out, "» {text}");
        } else {
            let _ = writeln!(out, "  {text}");
        }
    }
    let _ = write!(out, "— {}", answer.citation());
    Some(out)
}

/// The articles, newest first: "30 September 2024 — Title".
#[must_use]
pub fn articles(index: &Index) -> String {
    if index.articles().is_empty() {
        return "I have no articles yet.".into();
    }
    let mut out = String::new();
    for (i, a) in index.articles().iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = write!(out, "{} — {}", answer::human_date(a.date), a.title);
    }
    out
}

/// How much the bot knows.
#[must_use]
pub fn about(index: &Index) -> String {
    let newest = index.articles().iter().filter_map(|a| a.date).max();
    format!(
        "I know {} with {}; the newest is from {}.",
        plural(index.articles().len(), "article"),
        plural(index.sentence_count(), "sentence"),
        answer::human_date(newest)
    )
}

/// "1 article", "2 articles".
#[must_use]
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SearchConfig;
    use crate::corpus::Article;
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
            more.contains("Grain prices rose.") && more.contains("Grain is a staple."),
            "{more}"
        );
        assert_eq!(reply(&mut s, "/more"), "No more quotes about that.");
        let ctx = reply(&mut s, "/context");
        assert!(ctx.contains("» "), "{ctx}");
    }

    #[test]
    fn commands() {
        let e = engine();
        let mut s = Session::new(&e);
        assert_eq!(reply(&mut s, "/help"), HELP);
        assert_eq!(reply(&mut s, "/articles"), "30 September 2024 — Grain");
        assert_eq!(
            reply(&mut s, "/about"),
            "I know 1 article with 4 sentences; the newest is from 30 September 2024."
        );
        assert_eq!(reply(&mut s, "/more"), "Ask a question first.");
        assert!(reply(&mut s, "/nope").contains("/help"));
        assert_eq!(reply(&mut s, "   "), "");
        assert_eq!(s.handle("/quit"), Step::Quit);
    }
}
