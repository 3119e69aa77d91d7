//! The bot's handler tree ([`schema`]) and its endpoints: one small async function per kind of
//! update. They decide what to answer and whom; what the answer says comes from
//! [`crate::answer::replies`], and every send goes through [`super::retry`] (messages also
//! through the rate [`super::Limiter`]).
//!
//! - Private chats: every text message is a question; commands; anything else gets "send me a
//!   question in words".
//! - Groups: `/ask` (also `/ask@botname`), messages that mention the bot, and replies to the
//!   bot's own messages are answered; all other chatter is ignored.
//! - Edited messages are answered again, as a new reply: the question was corrected.
//! - Buttons under answers ("More", "Context"), also on messages sent inline.
//! - Inline queries: up to five quotes to choose from.

use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures::FutureExt as _;
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree::di::DependencyMap;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResult, InlineQueryResultArticle,
    InputMessageContent, InputMessageContentText, Me, ParseMode, UpdateKind,
};
use teloxide::utils::command::BotCommands;

use super::callback::{Button, MAX_SHOWN};
use super::shared::{HandlerError, Shared, Tg, reply};
use super::{ops, retry};
use crate::answer::Answer;
use crate::answer::replies;
use crate::answer::rich::Format;
use crate::i18n::{self, Lang};
use crate::live;
use teloxide::net::Download;

type HandlerResult = Result<(), HandlerError>;

/// How many quotes "More" adds, and inline mode offers at most.
pub const MORE_ANSWERS: usize = 3;
/// Quotes offered in inline mode.
pub const INLINE_ANSWERS: usize = 5;

/// The commands everyone has. What users read about them (in `/help` and in Telegram's command
/// menu) is in the catalogues, `command_<name>`, in their language; the doc comments here are
/// for the code's readers.
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// greet me and see what I can do
    Start,
    /// show this help
    Help,
    /// ask a question, e.g. /ask What did Mishustin say about grain?
    Ask(String),
    /// the articles I know, newest first
    Articles,
    /// how many articles and sentences I know
    About,
}

/// Commands for the bot's admins (described to users by the catalogues, as [`Command`]).
#[derive(BotCommands, Clone, Debug, PartialEq)]
#[command(rename_rule = "lowercase")]
pub enum AdminCommand {
    /// read the articles folder again now (admins)
    Reload,
    /// add the article at a link, e.g. `/add https://example.org/story` (admins; or just send the link)
    Add(String),
}

impl Shared {
    /// The `/help` text for `user`, in `lang`: the admin commands too for admins.
    fn commands_for(&self, lang: Lang, user: Option<&teloxide::types::User>) -> String {
        replies::commands(
            lang,
            &command_groups(self.storage.is_some(), self.is_admin(user)),
        )
    }
}

/// The commands someone sees, as (catalogue key of the heading, names): the public ones, those
/// for following topics when there are records to keep them in, and for `admins` theirs.
#[must_use]
pub fn command_groups(stored: bool, admins: bool) -> Vec<(&'static str, Vec<String>)> {
    fn names<C: BotCommands>() -> Vec<String> {
        C::bot_commands().into_iter().map(|c| c.command).collect()
    }
    let mut groups = vec![("commands_public", names::<Command>())];
    if stored {
        groups.push(("commands_follow", names::<ops::FollowCommand>()));
    }
    if admins {
        groups.push(("commands_admin", names::<AdminCommand>()));
        if stored {
            groups.push(("commands_records", names::<ops::RecordsCommand>()));
        }
    }
    groups
}

/// A question found in a message.
#[derive(Clone, Debug)]
struct Asked(String);

/// `handler` with a panic while it handles one update contained: the panic is logged with the
/// update's id, the user gets a short apology, and the update counts as handled.
///
/// Without this, a panic would end the task of teloxide's per-chat worker, and the next update
/// for that chat would take the whole dispatcher down (`"TX is dead"`); inline queries share one
/// worker, so one bad inline query would silence the bot for everyone.
#[must_use]
pub fn contained(handler: UpdateHandler<HandlerError>) -> UpdateHandler<HandlerError> {
    let description = handler.description().clone();
    let sig = handler.sig().clone();
    dptree::from_fn_with_description(
        description,
        move |deps: DependencyMap, cont| {
            let handler = handler.clone();
            async move {
                let kept = deps.clone();
                match AssertUnwindSafe(handler.execute(deps, cont))
                    .catch_unwind()
                    .await
                {
                    Ok(flow) => flow,
                    Err(panic) => {
                        apologize(&kept, crate::error::panic_message(&*panic)).await;
                        ControlFlow::Break(Ok(()))
                    }
                }
            }
        },
        sig,
    )
}

/// After a panic: the log gets it, and whoever was waiting for an answer a short apology (in a
/// group only when the message was for the bot; an inline query gets no quotes).
async fn apologize(deps: &DependencyMap, panic: &str) {
    let Some(update) = deps.try_get::<Update>() else {
        log::error!("handling an update panicked: {panic}");
        return;
    };
    log::error!("handling update {} panicked: {panic}", update.id.0);
    let (Some(bot), Some(me)) = (deps.try_get::<Tg>(), deps.try_get::<Me>()) else {
        return;
    };
    let lang = deps
        .try_get::<Arc<Shared>>()
        .map_or(Lang::En, |shared| shared.lang(update.from()));
    let sorry = replies::went_wrong(lang);
    let sent = match &update.kind {
        UpdateKind::Message(m) | UpdateKind::EditedMessage(m) if addressed(m, &me) => {
            reply(&bot, m, &sorry, None).await.map(drop)
        }
        UpdateKind::CallbackQuery(q) => retry::send(
            bot.answer_callback_query(q.id.clone())
                .text(sorry.render(Format::Plain))
                .show_alert(true),
        )
        .await
        .map(drop),
        UpdateKind::InlineQuery(q) => retry::send(bot.answer_inline_query(q.id.clone(), []))
            .await
            .map(drop),
        _ => Ok(()),
    };
    if let Err(e) = sent {
        log::warn!(
            "could not apologize for update {}: {}",
            update.id.0,
            super::describe(&e)
        );
    }
}

/// The handler tree, by kind of update. [`super::run`] runs it [`contained`].
#[must_use]
pub fn schema() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(Update::filter_message().chain(message_tree()))
        .branch(Update::filter_edited_message().chain(message_tree()))
        .branch(Update::filter_callback_query().endpoint(on_button))
        .branch(Update::filter_inline_query().endpoint(on_inline_query))
}

fn message_tree() -> UpdateHandler<HandlerError> {
    dptree::entry()
        .branch(dptree::filter(refused).endpoint(refuse))
        .branch(
            dptree::filter(allowed).chain(
                dptree::entry()
                    .branch(teloxide::filter_command::<Command, _>().endpoint(on_command))
                    .branch(
                        teloxide::filter_command::<AdminCommand, _>().endpoint(on_admin_command),
                    )
                    .branch(
                        teloxide::filter_command::<ops::FollowCommand, _>()
                            .endpoint(ops::on_follow_command),
                    )
                    .branch(
                        teloxide::filter_command::<ops::RecordsCommand, _>()
                            .endpoint(ops::on_records_command),
                    )
                    .branch(
                        dptree::filter(|msg: Message| {
                            msg.chat.is_private() && msg.document().is_some()
                        })
                        .endpoint(on_document),
                    )
                    .branch(dptree::filter_map(admin_link).endpoint(on_link))
                    .branch(dptree::filter_map(question_for_me).endpoint(on_question))
                    .branch(
                        dptree::filter(|msg: Message| msg.chat.is_private()).endpoint(on_other),
                    ),
            ),
        )
}

/// Whether a message is addressed to the bot: anything in a private chat; in a group, a
/// command, a mention, or a reply to the bot.
fn addressed(msg: &Message, me: &Me) -> bool {
    if msg.chat.is_private() {
        return true;
    }
    let text = msg.text().unwrap_or_default();
    text.starts_with('/') || mentions(text, me.username()) || replies_to_me(msg, me)
}

fn mentions(text: &str, username: &str) -> bool {
    let mention = format!("@{}", username.to_lowercase());
    text.to_lowercase().contains(&mention)
}

fn replies_to_me(msg: &Message, me: &Me) -> bool {
    msg.reply_to_message()
        .and_then(|m| m.from.as_ref())
        .is_some_and(|u| u.id == me.id)
}

fn allowed(msg: Message, shared: Arc<Shared>) -> bool {
    shared.allows_chat(msg.chat.id)
}

fn refused(msg: Message, me: Me, shared: Arc<Shared>) -> bool {
    !shared.allows_chat(msg.chat.id) && addressed(&msg, &me)
}

/// The question in a message: the text without a leading `/ask` (or `/ask@bot`) and without
/// mentions of the bot.
#[must_use]
pub fn question_text(text: &str, username: &str) -> String {
    let mut t = text.trim();
    if let Some(rest) = t.strip_prefix("/ask") {
        let rest = rest.strip_prefix('@').map_or(rest, |r| {
            r.split_once(char::is_whitespace).map_or("", |(_, q)| q)
        });
        t = rest.trim();
    }
    let mention = format!("@{username}");
    let mut out = String::new();
    for word in t.split_whitespace() {
        if !word.eq_ignore_ascii_case(&mention) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

fn question_for_me(msg: Message, me: Me) -> Option<Asked> {
    let text = msg.text()?;
    // Commands have their own branches.
    if text.starts_with('/') || !addressed(&msg, &me) {
        return None;
    }
    let q = question_text(text, me.username());
    (!q.is_empty()).then_some(Asked(q))
}

async fn refuse(bot: Tg, msg: Message, shared: Arc<Shared>) -> HandlerResult {
    log::info!("refused chat {}", msg.chat.id);
    let lang = shared.lang(msg.from.as_ref());
    reply(&bot, &msg, &replies::refusal(lang), None).await?;
    Ok(())
}

async fn on_command(bot: Tg, msg: Message, cmd: Command, shared: Arc<Shared>) -> HandlerResult {
    let lang = shared.lang(msg.from.as_ref());
    let commands = shared.commands_for(lang, msg.from.as_ref());
    match cmd {
        Command::Start => reply(&bot, &msg, &replies::start(lang, &commands), None).await?,
        Command::Help => reply(&bot, &msg, &replies::help(&commands), None).await?,
        Command::Ask(q) if q.trim().is_empty() => {
            reply(&bot, &msg, &replies::ask_what(lang), None).await?
        }
        Command::Ask(q) => return answer(&bot, &msg, q.trim(), &shared).await,
        Command::Articles => {
            let index = shared.engine().index();
            let (text, pages) = replies::articles_page_in(lang, index.articles(), 0);
            reply(&bot, &msg, &text, page_keyboard(lang, 0, pages)).await?
        }
        Command::About => {
            let index = shared.engine().index();
            let mut text = replies::about_live(
                lang,
                index.articles(),
                index.sentence_count(),
                shared.library.last_reload(),
            );
            drop(index);
            if shared.is_admin(msg.from.as_ref())
                && let Some(counts) = ops::about_counts(&shared, lang).await
            {
                text.append(counts);
            }
            reply(&bot, &msg, &text, None).await?
        }
    };
    Ok(())
}

/// "‹ Newer" and "Older ›" under a page of `/articles`, when there is more than one.
fn page_keyboard(lang: Lang, page: u32, pages: u32) -> Option<InlineKeyboardMarkup> {
    if pages <= 1 {
        return None;
    }
    let mut row = Vec::new();
    if page > 0 {
        let data = Button::Page { page: page - 1 }.encode().expect("short");
        row.push(InlineKeyboardButton::callback(
            i18n::text(lang, "button_newer"),
            data,
        ));
    }
    if page + 1 < pages {
        let data = Button::Page { page: page + 1 }.encode().expect("short");
        row.push(InlineKeyboardButton::callback(
            i18n::text(lang, "button_older"),
            data,
        ));
    }
    Some(InlineKeyboardMarkup::new([row]))
}

async fn on_admin_command(
    bot: Tg,
    msg: Message,
    cmd: AdminCommand,
    shared: Arc<Shared>,
) -> HandlerResult {
    let lang = shared.lang(msg.from.as_ref());
    if !shared.is_admin(msg.from.as_ref()) {
        reply(&bot, &msg, &replies::admins_only(lang), None).await?;
        return Ok(());
    }
    match cmd {
        AdminCommand::Add(link) => {
            if !msg.chat.is_private() {
                reply(&bot, &msg, &replies::add_in_private(lang), None).await?;
            } else if link.trim().is_empty() {
                reply(&bot, &msg, &replies::add_usage(lang), None).await?;
            } else {
                return on_link(bot, msg, Link(link.trim().to_string()), shared).await;
            }
        }
        AdminCommand::Reload => {
            let library = Arc::clone(&shared.library);
            let result = blocking(move || library.reload()).await?;
            let text = match result {
                Ok(report) => {
                    log::info!("reloaded by an admin: {report}");
                    replies::reloaded(lang, &report)
                }
                Err(e) => {
                    log::error!("a reload asked for by an admin failed: {e}");
                    replies::reload_failed(lang)
                }
            };
            reply(&bot, &msg, &text, None).await?;
        }
    }
    Ok(())
}

/// A document in a private chat: from an admin, a new article; from anyone else, a polite no
/// (nothing is downloaded or written).
async fn on_document(bot: Tg, msg: Message, shared: Arc<Shared>) -> HandlerResult {
    let Some(doc) = msg.document() else {
        return Ok(());
    };
    let lang = shared.lang(msg.from.as_ref());
    if !shared.is_admin(msg.from.as_ref()) {
        reply(&bot, &msg, &replies::uploads_admins_only(lang), None).await?;
        return Ok(());
    }
    let name = doc.file_name.clone().unwrap_or_else(|| "upload.txt".into());
    if crate::corpus::is_html_file(std::path::Path::new(&name)) {
        return on_html_document(&bot, &msg, doc, &shared).await;
    }
    // Refused on its name or size alone: not downloaded.
    if let Err(refusal) = live::check_upload(&name, doc.file.size as usize) {
        reply(&bot, &msg, &replies::not_added(lang, &refusal), None).await?;
        return Ok(());
    }
    let file = retry::send(bot.get_file(doc.file.id.clone())).await?;
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes).await?;
    let library = Arc::clone(&shared.library);
    let outcome = blocking(move || library.add_document(&name, &bytes)).await?;
    let text = match &outcome {
        Ok(added) => {
            log::info!("an admin added {}", added.saved_as);
            replies::added(lang, added)
        }
        Err(refusal) => replies::not_added(lang, refusal),
    };
    reply(&bot, &msg, &text, None).await?;
    Ok(())
}

/// A link sent by an admin in a private chat.
#[derive(Clone, Debug)]
struct Link(String);

/// A message that is one link, from an admin in a private chat; everyone else's links are
/// questions like any other text.
fn admin_link(msg: Message, shared: Arc<Shared>) -> Option<Link> {
    let text = msg.text()?.trim();
    (msg.chat.is_private() && shared.is_admin(msg.from.as_ref()) && crate::web::is_link(text))
        .then(|| Link(text.to_string()))
}

/// Fetches an admin's link and adds the article; replies with its title, date and
/// sentences, or why it was refused.
async fn on_link(bot: Tg, msg: Message, link: Link, shared: Arc<Shared>) -> HandlerResult {
    let lang = shared.lang(msg.from.as_ref());
    let library = Arc::clone(&shared.library);
    let outcome = match library.fetcher() {
        Ok(fetcher) => match fetcher.get(&link.0, crate::web::Want::Page).await {
            Ok(fetched) => {
                let page = crate::web::Page::fetched(&fetched);
                let library = Arc::clone(&shared.library);
                blocking(move || library.add_page(&page, &live::AddOptions::default(), None))
                    .await?
            }
            Err(e) => Err(live::Refusal::Web(replies::fetch_failed(lang, &e))),
        },
        Err(e) => Err(e),
    };
    let text = match &outcome {
        Ok(added) => {
            log::info!("an admin added {} from a link", added.added.saved_as);
            replies::web_added(lang, added)
        }
        Err(refusal) => {
            log::info!("a link from an admin was not added: {refusal}");
            replies::not_added(lang, refusal)
        }
    };
    reply(&bot, &msg, &text, None).await?;
    Ok(())
}

/// A saved page (`.html`, `.htm`) sent by an admin: read as a link's page is.
async fn on_html_document(
    bot: &Tg,
    msg: &Message,
    doc: &teloxide::types::Document,
    shared: &Shared,
) -> HandlerResult {
    let lang = shared.lang(msg.from.as_ref());
    if doc.file.size as usize > crate::web::fetch::MAX_BYTES {
        let why = replies::fetch_failed(lang, &crate::web::FetchError::TooLarge);
        reply(
            bot,
            msg,
            &replies::not_added(lang, &live::Refusal::Web(why)),
            None,
        )
        .await?;
        return Ok(());
    }
    let file = retry::send(bot.get_file(doc.file.id.clone())).await?;
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes).await?;
    let library = Arc::clone(&shared.library);
    let outcome = blocking(move || {
        if crate::web::looks_binary(&bytes) || bytes.len() > crate::web::fetch::MAX_BYTES {
            return Err(live::Refusal::Web(replies::not_a_page(lang)));
        }
        library.add_page(
            &crate::web::Page::saved(&bytes),
            &live::AddOptions::default(),
            None,
        )
    })
    .await?;
    let text = match &outcome {
        Ok(added) => {
            log::info!("an admin added {} from a saved page", added.added.saved_as);
            replies::web_added(lang, added)
        }
        Err(refusal) => replies::not_added(lang, refusal),
    };
    reply(bot, msg, &text, None).await?;
    Ok(())
}

/// `f` on a thread for blocking work. A panic there goes on in the handler, so that
/// [`contained`] logs it with the update and apologizes, as for any other.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HandlerError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => Ok(v),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(e.into()),
    }
}

async fn on_question(bot: Tg, msg: Message, asked: Asked, shared: Arc<Shared>) -> HandlerResult {
    answer(&bot, &msg, &asked.0, &shared).await
}

/// Anything else in a private chat: an unknown command, or not text at all.
async fn on_other(bot: Tg, msg: Message, shared: Arc<Shared>) -> HandlerResult {
    let lang = shared.lang(msg.from.as_ref());
    let text = if msg.text().is_some_and(|t| t.starts_with('/')) {
        replies::unknown_command(lang)
    } else {
        replies::not_text(lang)
    };
    reply(&bot, &msg, &text, None).await?;
    Ok(())
}

/// Answers a question with the best quote, and buttons for more quotes and the context.
async fn answer(bot: &Tg, msg: &Message, question: &str, shared: &Shared) -> HandlerResult {
    let start = Instant::now();
    let lang = shared.lang(msg.from.as_ref());
    let engine = shared.engine();
    let answers = engine.ask_with(question, 1, engine.config().min_score);
    let keyboard = answers
        .first()
        .map(|a| ops::with_votes(shared, keyboard(lang, a, 1, None), a));
    let text = replies::answer_in(lang, &answers);
    // Queued before the reply goes out, so that whatever follows the reply sees it.
    ops::record_answer(shared, msg, question, &answers);
    reply(bot, msg, &text, keyboard).await?;
    log::info!(
        "answered chat {} in {:.1} ms, score {}",
        msg.chat.id,
        start.elapsed().as_secs_f64() * 1000.0,
        answers
            .first()
            .map_or_else(|| "none".to_string(), |a| format!("{:.2}", a.score))
    );
    log::debug!("question in chat {}: {question:?}", msg.chat.id);
    Ok(())
}

/// "More" and "Context" under an answer (the last one shown), both of the index generation
/// the answer came from, whatever was loaded since. `question` rides in "More" for inline
/// messages; "More" stops at [`MAX_SHOWN`].
fn keyboard(
    lang: Lang,
    answer: &Answer,
    shown: usize,
    question: Option<&str>,
) -> InlineKeyboardMarkup {
    let mut row = Vec::new();
    let generation = answer.generation;
    let more = Button::More {
        generation,
        shown: shown as u32,
        question: question.map(str::to_string),
    };
    if let Some(data) = more.encode().filter(|_| shown < MAX_SHOWN as usize) {
        row.push(InlineKeyboardButton::callback(
            i18n::text(lang, "button_more"),
            data,
        ));
    }
    let context = Button::Context {
        generation,
        sentence: answer.sentence,
    };
    if let Some(data) = context.encode() {
        row.push(InlineKeyboardButton::callback(
            i18n::text(lang, "button_context"),
            data,
        ));
    }
    InlineKeyboardMarkup::new([row])
}

async fn on_button(bot: Tg, q: CallbackQuery, me: Me, shared: Arc<Shared>) -> HandlerResult {
    let chat = q
        .regular_message()
        .map_or(ChatId(q.from.id.0 as i64), |m| m.chat.id);
    let lang = shared.lang(Some(&q.from));
    if !shared.allows_chat(chat) {
        let refusal = replies::refusal(lang).render(Format::Plain);
        retry::send(bot.answer_callback_query(q.id.clone()).text(refusal)).await?;
        return Ok(());
    }
    let button = q.data.as_deref().and_then(Button::decode);
    if let Some(Button::Vote {
        generation,
        sentence,
        up,
    }) = button
    {
        return ops::on_vote(&bot, &q, &shared, lang, generation, sentence, up).await;
    }
    let index = shared.engine().index();
    let outcome = match button {
        None | Some(Button::Vote { .. }) => Err(replies::out_of_date(lang)),
        Some(Button::Page { page }) => {
            let (text, pages) = replies::articles_page_in(lang, index.articles(), page);
            // A forged page number is the last page, as `articles_page` shows it.
            let page = page.min(pages - 1);
            retry::send(bot.answer_callback_query(q.id.clone())).await?;
            if let Some(m) = q.regular_message() {
                let mut request = bot
                    .edit_message_text(m.chat.id, m.id, text.render(Format::Html))
                    .parse_mode(ParseMode::Html);
                if let Some(k) = page_keyboard(lang, page, pages) {
                    request = request.reply_markup(k);
                }
                retry::send_message(&bot.limiter, Some(m.chat.id), request).await?;
            }
            return Ok(());
        }
        Some(Button::Context {
            generation,
            sentence,
        }) => crate::engine::context(&index, sentence, generation)
            .map(|c| (replies::context_in(lang, &c), None))
            .ok_or_else(|| replies::out_of_date(lang)),
        Some(Button::More {
            generation,
            shown,
            question,
        }) => {
            let question = question.or_else(|| {
                let asked = q.regular_message()?.reply_to_message()?.text()?;
                Some(question_text(asked, me.username())).filter(|s| !s.is_empty())
            });
            match question {
                None => Err(replies::out_of_date(lang)),
                Some(question) => {
                    let shown = shown as usize;
                    let all = shared
                        .engine()
                        .ask_with(&question, shown + MORE_ANSWERS, 0.0);
                    // `shown` counts the quotes of the button's generation: after a reload
                    // it no longer says which were shown.
                    let current = all.first().map_or(index.generation(), |a| a.generation);
                    if current == generation {
                        let next: Vec<Answer> = all.into_iter().skip(shown).collect();
                        let inline = q.inline_message_id.is_some();
                        let keyboard =
                            next.last()
                                .filter(|_| next.len() == MORE_ANSWERS)
                                .map(|last| {
                                    keyboard(
                                        lang,
                                        last,
                                        shown + MORE_ANSWERS,
                                        inline.then_some(question.as_str()),
                                    )
                                });
                        Ok((replies::more_in(lang, &next, shown + 1), keyboard))
                    } else {
                        Err(replies::out_of_date(lang))
                    }
                }
            }
        }
    };
    match outcome {
        Err(note) => {
            retry::send(
                bot.answer_callback_query(q.id.clone())
                    .text(note.render(Format::Plain))
                    .show_alert(true),
            )
            .await?;
        }
        Ok((text, keyboard)) => {
            retry::send(bot.answer_callback_query(q.id.clone())).await?;
            if let Some(m) = q.regular_message() {
                reply(&bot, m, &text, keyboard).await?;
            } else if let Some(id) = &q.inline_message_id {
                let mut request = bot
                    .edit_message_text_inline(id.clone(), text.render(Format::Html))
                    .parse_mode(ParseMode::Html);
                if let Some(k) = keyboard {
                    request = request.reply_markup(k);
                }
                retry::send_message(&bot.limiter, None, request).await?;
            }
        }
    }
    Ok(())
}

async fn on_inline_query(bot: Tg, q: InlineQuery, shared: Arc<Shared>) -> HandlerResult {
    let start = Instant::now();
    let lang = shared.lang(Some(&q.from));
    let query = q.query.trim();
    let permitted = shared.allows_chat(ChatId(q.from.id.0 as i64));
    let answers = if query.is_empty() || !permitted {
        Vec::new()
    } else {
        let engine = shared.engine();
        engine.ask_with(query, INLINE_ANSWERS, engine.config().min_score)
    };
    let results: Vec<InlineQueryResult> = answers
        .iter()
        .map(|a| {
            let text = replies::answer_in(lang, std::slice::from_ref(a)).render(Format::Html);
            let title: String = a.quote.chars().take(100).collect();
            InlineQueryResult::Article(
                InlineQueryResultArticle::new(
                    format!("{:x}-{}", a.generation, a.sentence),
                    title,
                    InputMessageContent::Text(
                        InputMessageContentText::new(text).parse_mode(ParseMode::Html),
                    ),
                )
                .description(replies::citation(lang, &a.title, a.date))
                .reply_markup(ops::with_votes(
                    &shared,
                    keyboard(lang, a, 1, Some(query)),
                    a,
                )),
            )
        })
        .collect();
    let mut request = bot
        .answer_inline_query(q.id.clone(), results)
        .cache_time(10);
    if !shared.config.allowed_chats.is_empty() {
        request = request.is_personal(true);
    }
    retry::send(request).await?;
    if !query.is_empty() {
        log::info!(
            "answered inline query of user {} in {:.1} ms, {} quotes",
            q.from.id,
            start.elapsed().as_secs_f64() * 1000.0,
            answers.len()
        );
        log::debug!("inline question: {query:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_lose_the_command_and_the_mention() {
        let me = "quotebot";
        assert_eq!(question_text("/ask grain exports", me), "grain exports");
        assert_eq!(
            question_text("/ask@quotebot grain exports", me),
            "grain exports"
        );
        assert_eq!(
            question_text("@QuoteBot what about grain?", me),
            "what about grain?"
        );
        assert_eq!(
            question_text("what about grain, @quotebot", me),
            "what about grain,"
        );
        assert_eq!(
            question_text("what about grain @quotebot", me),
            "what about grain"
        );
        assert_eq!(question_text("/ask", me), "");
    }

    /// The buttons carry the generation of the answer they are under, whatever index is
    /// loaded by the time they are made (a reload may come between answering and replying).
    #[test]
    fn buttons_carry_the_answers_generation() {
        let answer = Answer {
            quote: "Tin output rose.".into(),
            title: "Tin".into(),
            date: None,
            path: "corpus/tin.txt".into(),
            source: None,
            score: 1.0,
            highlights: Vec::new(),
            sentence: 3,
            generation: 0xabc,
        };
        let k = keyboard(Lang::En, &answer, 1, None);
        let data: Vec<String> = k.inline_keyboard[0]
            .iter()
            .map(|b| match &b.kind {
                teloxide::types::InlineKeyboardButtonKind::CallbackData(d) => d.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(data, ["m:abc:1", "c:abc:3"]);
        let last = keyboard(Lang::En, &answer, MAX_SHOWN as usize, None);
        assert_eq!(
            last.inline_keyboard[0].len(),
            1,
            "no More after {MAX_SHOWN}"
        );
    }

    /// `/help` lists every command, described by the catalogue, in each language; in
    /// English exactly as the command docs used to give it.
    #[test]
    fn help_comes_from_the_catalogue() {
        let en = replies::commands(Lang::En, &command_groups(false, false));
        assert!(
            en.starts_with("I answer questions about news articles") && en.contains("\n\n/start — greet me and see what I can do\n/help — show this help\n/ask — ask a question"),
            "{en}"
        );
        let ru = replies::commands(Lang::Ru, &command_groups(true, true));
        for c in [
            "/start",
            "/help",
            "/ask",
            "/articles",
            "/about",
            "/follow",
            "/reload",
            "/unanswered",
        ] {
            assert!(ru.contains(&format!("{c} — ")), "{ru}");
        }
        assert!(ru.contains("/help — показать эту справку"), "{ru}");
        // Persian lines begin with a right-to-left mark, so that a line starting with the
        // Latin command still reads right to left; other languages have none.
        let fa = replies::commands(Lang::Fa, &command_groups(true, true));
        let command_lines: Vec<&str> = fa.lines().filter(|l| l.contains(" — ")).collect();
        let commands: usize = command_groups(true, true)
            .iter()
            .map(|(_, n)| n.len())
            .sum();
        assert_eq!(command_lines.len(), commands, "{fa}");
        for line in command_lines {
            assert!(line.starts_with("\u{200f}/"), "{line:?}");
        }
        assert!(!ru.contains('\u{200f}') && !en.contains('\u{200f}'));
        // Every command has a description in every language.
        for lang in Lang::ALL {
            for (heading, names) in command_groups(true, true) {
                assert!(!i18n::text(lang, heading).is_empty());
                for name in names {
                    let key = format!("command_{}", name.trim_start_matches('/'));
                    assert_ne!(i18n::text(lang, &key), key, "{key} in {}", lang.code());
                }
            }
        }
    }
}
