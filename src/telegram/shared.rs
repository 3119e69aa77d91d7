//! What every handler shares: the Bot API client with its limiter ([`Tg`]), the bot's state
//! ([`Shared`]), the error a handler may end with, and sending a reply.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, ParseMode, ReplyParameters};

use super::limits::Limiter;
use super::retry;
use crate::answer::rich::{Format, Rich};
use crate::config::TelegramConfig;
use crate::engine::Engine;
use crate::i18n::Lang;
use crate::live::Library;

/// The bot as the handlers use it: the Bot API client, and the limiter every message goes
/// through.
#[derive(Clone, Debug)]
pub struct Tg {
    /// The client.
    pub bot: Bot,
    /// Telegram's rate limits.
    pub limiter: Arc<Limiter>,
}

impl std::ops::Deref for Tg {
    type Target = Bot;

    fn deref(&self) -> &Bot {
        &self.bot
    }
}

/// What a handler can fail with (logged, never shown to users).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// What every handler shares.
pub struct Shared {
    /// The corpus and its engine.
    pub library: Arc<Library>,
    /// Who may use the bot.
    pub config: TelegramConfig,
    /// What the bot records for its operators (none: it records nothing).
    pub storage: Option<Arc<crate::storage::Storage>>,
}

impl Shared {
    pub(crate) fn allows_chat(&self, chat: ChatId) -> bool {
        self.config.allowed_chats.is_empty() || self.config.allowed_chats.contains(&chat.0)
    }

    pub(crate) fn engine(&self) -> &Engine {
        self.library.engine()
    }

    pub(crate) fn is_admin(&self, user: Option<&teloxide::types::User>) -> bool {
        user.is_some_and(|u| self.config.admins.contains(&u.id.0))
    }

    /// The language `user` is answered in: theirs, or the one the config sets for everyone.
    pub(crate) fn lang(&self, user: Option<&teloxide::types::User>) -> Lang {
        self.config
            .language
            .for_user(user.and_then(|u| u.language_code.as_deref()))
    }
}

/// Sends `text` as a reply to `msg` (HTML), with retries.
pub(crate) async fn reply(
    bot: &Tg,
    msg: &Message,
    text: &Rich,
    keyboard: Option<InlineKeyboardMarkup>,
) -> Result<Message, teloxide::RequestError> {
    let mut request = bot
        .send_message(msg.chat.id, text.render(Format::Html))
        .parse_mode(ParseMode::Html)
        .reply_parameters(ReplyParameters::new(msg.id).allow_sending_without_reply());
    if let Some(k) = keyboard {
        request = request.reply_markup(k);
    }
    retry::send_message(&bot.limiter, Some(msg.chat.id), request).await
}
