//! The Telegram bot (`quotebot telegram`): the engine's answers in private chats, in groups and
//! inline. Updates come by long polling through teloxide, or by webhook ([`webhook`]);
//! Telegram's rate limits are kept as its server sees them ([`limits`]); replies that hit a
//! passing fault are sent again ([`retry`]); the token is kept out of every log line
//! ([`redact`]).
//!
//! Start-up: `getMe` is retried with a growing pause (each failure logged) until it answers,
//! except when Telegram refuses the token, which is an error at once. To poll, a webhook left
//! set is removed (retried until it is: `getUpdates` answers 409 while one is set); in webhook
//! mode the webhook is set (retried the same way). Updates are dispatched until the shutdown
//! signal. Registering the commands (`setMyCommands`) is not needed for answering, so it runs
//! beside the dispatcher, with its own retries and warnings.

pub mod callback;
pub mod handlers;
pub mod limits;
pub mod ops;
pub mod redact;
pub mod retry;
pub mod shared;
pub mod webhook;

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::dispatching::{DefaultKey, UpdateHandler};
use teloxide::error_handlers::ErrorHandler;
use teloxide::prelude::*;
use teloxide::types::{BotCommand, BotCommandScope, Me, Recipient};
use teloxide::update_listeners::{Polling, UpdateListener};
use tokio_util::sync::CancellationToken;

use crate::config::TelegramConfig;
use crate::error::{Error, Result};
use crate::live::{self, Library};
use crate::storage::Storage;

pub use handlers::{Command, schema};
pub use limits::{Limiter, Limits};
pub use shared::{HandlerError, Shared, Tg};

/// How long one `getUpdates` long poll may wait for updates.
pub const POLL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a stopping bot goes on answering the updates it has in hand (systemd's default
/// `TimeoutStopSec` is 90 s).
pub const STOP_GRACE: Duration = Duration::from_secs(20);

/// The pause after the `n`-th failure in a row (of `getUpdates`, or of `getMe` at start-up):
/// half a second, doubling, at most thirty seconds.
#[must_use]
pub fn backoff(failures: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << failures.min(6))).min(Duration::from_secs(30))
}

/// A bot for `token`, talking to `api_url` (Telegram's own when `None`).
pub fn bot(token: &str, api_url: Option<url::Url>) -> Bot {
    let bot = Bot::new(token);
    match api_url {
        Some(url) => bot.set_api_url(url),
        None => bot,
    }
}

/// An error with its causes (`a: b: c`), the token masked.
#[must_use]
pub fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    redact::redact(&text).into_owned()
}

fn telegram_error(e: &RequestError) -> Error {
    Error::Telegram {
        message: describe(e),
    }
}

/// After the `failures`-th failure in a row of a start-up request that must succeed: says
/// `what` failed and why, and waits [`backoff`] before the next try.
async fn pause_after(what: &str, e: &RequestError, failures: &mut u32) {
    let pause = backoff(*failures);
    log::warn!("{what} ({}); trying again in {pause:?}", describe(e));
    tokio::time::sleep(pause).await;
    *failures = failures.saturating_add(1);
}

/// `getMe`, retried until it answers or the token is refused.
async fn wait_for_me(bot: &Bot) -> Result<Me> {
    let mut failures = 0;
    loop {
        match bot.get_me().send().await {
            Ok(me) => return Ok(me),
            Err(RequestError::Api(ApiError::InvalidToken)) => {
                return Err(Error::TelegramAuth);
            }
            Err(e) => pause_after("cannot reach the Telegram Bot API", &e, &mut failures).await,
        }
    }
}

/// `deleteWebhook` when a webhook is set, retried until it is gone.
async fn remove_webhook(bot: &Bot) {
    let mut failures = 0;
    loop {
        let removed = match bot.get_webhook_info().send().await {
            Ok(info) if info.url.is_none() => return,
            Ok(_) => bot.delete_webhook().send().await.map(drop),
            Err(e) => Err(e),
        };
        match removed {
            Ok(()) => {
                log::info!("removed the webhook that was set, to poll for updates");
                return;
            }
            Err(e) => pause_after("cannot remove the webhook", &e, &mut failures).await,
        }
    }
}

/// Runs the bot until `shutdown` completes (then it finishes the updates in hand and
/// returns `Ok`).
pub async fn run(
    bot: Bot,
    library: Arc<Library>,
    config: TelegramConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    run_with(bot, library, config, schema(), shutdown).await
}

/// [`run`] with another handler tree (the tests add one that panics), run
/// [`handlers::contained`] as the bot's own.
pub async fn run_with(
    bot: Bot,
    library: Arc<Library>,
    config: TelegramConfig,
    handler: UpdateHandler<HandlerError>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    run_stored(bot, library, config, None, handler, shutdown).await
}

/// [`run_with`] recording in `storage` (votes, what was not found, follows) and sending follow
/// alerts, when there is one.
pub async fn run_stored(
    bot: Bot,
    library: Arc<Library>,
    config: TelegramConfig,
    storage: Option<Arc<Storage>>,
    handler: UpdateHandler<HandlerError>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    run_updates(
        bot,
        library,
        config,
        storage,
        handler,
        Updates::Polling,
        shutdown,
    )
    .await
}

/// How updates reach the bot.
#[derive(Debug)]
pub enum Updates {
    /// It asks for them (`getUpdates`), after removing any webhook.
    Polling,
    /// Telegram posts them to a listener (see [`webhook`]).
    Webhook(webhook::Webhook),
}

/// [`run_stored`] with updates arriving as `updates` says.
pub async fn run_updates(
    bot: Bot,
    library: Arc<Library>,
    config: TelegramConfig,
    storage: Option<Arc<Storage>>,
    handler: UpdateHandler<HandlerError>,
    updates: Updates,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let shutdown = cancelled_by(shutdown);
    let me = tokio::select! {
        me = wait_for_me(&bot) => me?,
        () = shutdown.cancelled() => return Ok(()),
    };
    let index = library.engine().index();
    log::info!(
        "@{} is answering from {} articles ({} sentences)",
        me.username(),
        index.articles().len(),
        index.sentence_count()
    );
    drop(index);
    let _watch = match live::watch(Arc::clone(&library)) {
        Ok(w) => {
            log::info!("watching {} for changes", library.dir().display());
            Some(w)
        }
        Err(e) => {
            log::warn!("cannot watch the articles folder ({e}); /reload still works");
            None
        }
    };
    // Whatever changed between loading and watching.
    let catch_up = Arc::clone(&library);
    match tokio::task::spawn_blocking(move || catch_up.reload()).await {
        Ok(Ok(r)) if !r.unchanged() => log::info!("corpus reloaded: {r}"),
        Ok(Err(e)) => log::warn!("reading the articles folder again failed: {e}"),
        Err(e) => log::error!("reading the articles folder again failed: {e}"),
        Ok(Ok(_)) => {}
    }
    let commands = tokio::spawn(register_commands(
        bot.clone(),
        config.clone(),
        storage.is_some(),
    ));

    let tg = Tg {
        bot: bot.clone(),
        limiter: Arc::new(Limiter::new(Limits::default())),
    };
    let language = config.language;
    let shared = Arc::new(Shared {
        library: Arc::clone(&library),
        config,
        storage: storage.clone(),
    });
    let mut dispatcher = Dispatcher::builder(bot.clone(), handlers::contained(handler))
        .dependencies(dptree::deps![shared, tg.clone()])
        .default_handler(|_| async {})
        .error_handler(Arc::new(|e: HandlerError| async move {
            log::error!("handling an update failed: {}", describe(&*e));
        }))
        .build();
    let mut alerts = None;
    let mut start_alerts = || {
        alerts = storage.clone().map(|s| {
            tokio::spawn(ops::follow_alerts(
                tg.clone(),
                Arc::clone(&library),
                s,
                language,
            ))
        });
    };

    let result = match updates {
        Updates::Polling => {
            tokio::select! {
                () = remove_webhook(&bot) => {}
                () = shutdown.cancelled() => {
                    commands.abort();
                    return Ok(());
                }
            }
            let listener = Polling::builder(bot.clone())
                .timeout(POLL_TIMEOUT)
                .backoff_strategy(backoff)
                .build();
            start_alerts();
            dispatch(
                &mut dispatcher,
                listener,
                // Polling goes on after a pause (`backoff`): a warning, not an error.
                Arc::new(|e: RequestError| async move {
                    log::warn!("getting updates failed: {}", describe(&e));
                }),
                &shutdown,
            )
            .await
        }
        Updates::Webhook(hook) => {
            let started = webhook::start(&bot, hook, Arc::clone(&library), &shutdown).await;
            let Some((listener, server)) = started.inspect_err(|_| commands.abort())? else {
                commands.abort();
                return Ok(());
            };
            start_alerts();
            let result = dispatch(
                &mut dispatcher,
                listener,
                // Its stream cannot fail.
                Arc::new(|e: std::convert::Infallible| async move { match e {} }),
                &shutdown,
            )
            .await;
            server.abort();
            result
        }
    };
    commands.abort();
    if let Some(a) = alerts {
        a.abort();
    }
    result.map_err(|e| telegram_error(&e))?;
    log::info!("stopped");
    Ok(())
}

/// Dispatches the updates `listener` brings until `shutdown`; then stops the listener and
/// finishes the updates in hand, for at most [`STOP_GRACE`].
async fn dispatch<L, Eh>(
    dispatcher: &mut Dispatcher<Bot, HandlerError, DefaultKey>,
    mut listener: L,
    listener_errors: Arc<Eh>,
    shutdown: &CancellationToken,
) -> std::result::Result<(), RequestError>
where
    L: UpdateListener + Send,
    L::Err: Debug,
    Eh: ErrorHandler<L::Err> + Send + Sync,
{
    // Stopping goes through the listener, not the dispatcher's `ShutdownToken`: the token wakes
    // the dispatcher with `Notify::notify_waiters`, which is lost when the dispatcher is busy
    // with an update at that moment, and then it never stops (seen as a SIGTERM that hung). A
    // stopped listener ends its stream (polling makes one last `getUpdates`, confirming the
    // updates handed over; the webhook's server stops taking updates and closes); the
    // dispatcher then finishes the updates in hand and returns.
    let stop = listener.stop_token();
    let dispatch = dispatcher.try_dispatch_with_listener(listener, listener_errors);
    // The updates in hand are answered within Telegram's limits, which for a backlog in one
    // chat is a message a second: after `STOP_GRACE` the bot stops without the rest.
    let stopped = async {
        shutdown.cancelled().await;
        log::info!("stopping: finishing the updates in hand");
        stop.stop();
        tokio::time::sleep(STOP_GRACE).await;
    };
    tokio::select! {
        result = dispatch => result,
        () = stopped => {
            log::warn!(
                "stopping after {} s without waiting longer: updates still in hand are left \
                 unanswered (in webhook mode, also a request still being received)",
                STOP_GRACE.as_secs()
            );
            Ok(())
        }
    }
}

/// A token cancelled when `shutdown` completes, that every part of the bot can wait on.
fn cancelled_by(shutdown: impl Future<Output = ()> + Send + 'static) -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        shutdown.await;
        cancel.cancel();
    });
    token
}

/// The commands of `groups` (see [`handlers::command_groups`]) as Telegram's command menu
/// shows them, described in `lang`.
fn menu(lang: crate::i18n::Lang, groups: &[(&str, Vec<String>)]) -> Vec<BotCommand> {
    groups
        .iter()
        .flat_map(|(_, names)| names)
        .map(|name| {
            BotCommand::new(
                name.trim_start_matches('/'),
                crate::answer::replies::command_description(lang, name),
            )
        })
        .collect()
}

/// Registers the commands: the public ones for everyone, with the admin ones too in each
/// admin's private chat (so that nobody else sees them), described in each language: English
/// as the default, Russian and Persian for users whose Telegram speaks them. With a language
/// set for everyone, only that one, as the default (and the per-language lists of an earlier
/// `auto` are deleted, or Russian users would keep them). Failures are logged, not fatal.
async fn register_commands(bot: Bot, config: TelegramConfig, stored: bool) {
    use crate::i18n::{Lang, Language};
    let public = handlers::command_groups(stored, false);
    let all = handlers::command_groups(stored, true);
    // (language, the code it is registered under: none for the default).
    let langs: Vec<(Lang, Option<&str>)> = match config.language {
        Language::Auto => vec![
            (Lang::En, None),
            (Lang::Ru, Some(Lang::Ru.code())),
            (Lang::Fa, Some(Lang::Fa.code())),
        ],
        Language::Fixed(lang) => vec![(lang, None)],
    };
    if let Language::Fixed(_) = config.language {
        for code in [Lang::Ru.code(), Lang::Fa.code()] {
            if let Err(e) = retry::send(bot.delete_my_commands().language_code(code)).await {
                log::warn!(
                    "could not remove the commands registered for language {code}: {}",
                    describe(&e)
                );
            }
            for &admin in &config.admins {
                let scope = BotCommandScope::Chat {
                    chat_id: Recipient::Id(ChatId(admin as i64)),
                };
                let request = bot.delete_my_commands().scope(scope).language_code(code);
                if let Err(e) = retry::send(request).await {
                    log::warn!(
                        "could not remove the admin commands registered for language {code} for user {admin}: {}",
                        describe(&e)
                    );
                }
            }
        }
    }
    // The default language first, each with its admins' lists, so that everyone has a menu
    // as soon as possible.
    for (lang, code) in langs {
        let mut request = bot.set_my_commands(menu(lang, &public));
        if let Some(code) = code {
            request = request.language_code(code);
        }
        if let Err(e) = retry::send(request).await {
            log::warn!(
                "could not register the commands in {}: {}",
                lang.code(),
                describe(&e)
            );
        }
        for &admin in &config.admins {
            let scope = BotCommandScope::Chat {
                chat_id: Recipient::Id(ChatId(admin as i64)),
            };
            let mut request = bot.set_my_commands(menu(lang, &all)).scope(scope);
            if let Some(code) = code {
                request = request.language_code(code);
            }
            if let Err(e) = retry::send(request).await {
                log::warn!(
                    "could not register the admin commands in {} for user {admin} (has it started the bot?): {}",
                    lang.code(),
                    describe(&e)
                );
            }
        }
    }
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM.
pub async fn signals() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                log::warn!("cannot listen for SIGTERM: {e}");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => log::info!("SIGINT received"),
            _ = term.recv() => log::info!("SIGTERM received"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        log::info!("Ctrl-C received");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_millis(500));
        assert_eq!(backoff(1), Duration::from_secs(1));
        assert_eq!(backoff(5), Duration::from_secs(16));
        assert_eq!(backoff(6), Duration::from_secs(30));
        assert_eq!(backoff(100), Duration::from_secs(30));
    }
}
