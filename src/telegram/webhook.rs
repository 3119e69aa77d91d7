//! Webhook mode (`quotebot telegram --webhook-url URL`): Telegram posts each update to the
//! bot's public HTTPS address, a reverse proxy passes it on to the listener here, and
//! teloxide's axum listener hands it to the same dispatcher polling feeds. The listener also
//! answers `GET /healthz` for monitors.
//!
//! Every update must carry the secret given to `setWebhook` (header
//! `X-Telegram-Bot-Api-Secret-Token`): it is checked here, in constant time, before teloxide
//! sees the request, and a request without it (or with another) gets 401 and is dropped.
//! teloxide's own check would answer 400 to a header it cannot parse and compares bytes as
//! they come.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use axum::Json;
use axum::extract::{Request as HttpRequest, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::AllowedUpdate;
use teloxide::update_listeners::UpdateListener;
use teloxide::update_listeners::webhooks::{self, Options};

use crate::error::{Error, Result};
use crate::live::Library;

/// The header Telegram sends the secret in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Where the health check answers.
pub const HEALTH_PATH: &str = "/healthz";

/// Webhook mode's settings. (Its `Debug` leaves the secret out.)
pub struct Webhook {
    /// The public address given to `setWebhook`; its path is the one listened on.
    pub url: url::Url,
    /// The secret Telegram is to send; `None`: a new random one (see [`new_secret`]).
    pub secret: Option<String>,
    /// Where Telegram's requests arrive (bound before the corpus is loaded, so that an address
    /// in use stops the bot at once).
    pub listener: tokio::net::TcpListener,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url.as_str())
            .field("secret", &self.secret.as_ref().map(|_| "(set)"))
            .field("listener", &self.listener.local_addr().ok())
            .finish()
    }
}

/// A secret of 32 characters of `A-Z a-z 0-9 _ -` (192 bits) from the operating system's
/// random source.
pub fn new_secret() -> Result<String> {
    use ring::rand::SecureRandom;
    const CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Error::Telegram {
            message: "no random numbers for the webhook secret from the operating system".into(),
        })?;
    // 64 characters: each byte's low six bits pick one without bias.
    Ok(bytes
        .iter()
        .map(|b| char::from(CHARS[usize::from(b & 63)]))
        .collect())
}

/// Whether `given` is `secret`, in time that does not depend on where they differ.
#[must_use]
pub fn same_secret(given: &[u8], secret: &[u8]) -> bool {
    given.len() == secret.len()
        && std::hint::black_box(given.iter().zip(secret).fold(0u8, |d, (a, b)| d | (a ^ b))) == 0
}

/// `setWebhook`, retried with the pauses of `getMe` until it succeeds or the token is refused.
/// Pending updates are kept: those that came while the bot was down are delivered now.
async fn set_webhook(bot: &Bot, url: &url::Url, secret: &str) -> Result<()> {
    let mut failures = 0;
    loop {
        match bot
            .set_webhook(url.clone())
            .secret_token(secret.to_owned())
            .drop_pending_updates(false)
            // The kinds the bot handles, as polling asks for them; else Telegram sends what
            // was last asked for.
            .allowed_updates(vec![
                AllowedUpdate::Message,
                AllowedUpdate::EditedMessage,
                AllowedUpdate::CallbackQuery,
                AllowedUpdate::InlineQuery,
            ])
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(RequestError::Api(ApiError::InvalidToken)) => return Err(Error::TelegramAuth),
            // A refused address or port will be refused again: say so and stop.
            Err(e) if !super::retry::is_transient(&e) => {
                return Err(Error::Telegram {
                    message: format!(
                        "Telegram refused the webhook {url}: {}",
                        super::describe(&e)
                    ),
                });
            }
            Err(e) => super::pause_after("cannot set the webhook", &e, &mut failures).await,
        }
    }
}

/// Serves `hook`'s listener, then sets the webhook: the update listener it feeds and the
/// server's task, or `None` when `shutdown` came first. A stopped update listener ends the
/// server, which drops the router and with it the updates' sender: the dispatcher then finishes
/// the updates in hand and returns.
pub(super) async fn start(
    bot: &Bot,
    hook: Webhook,
    library: Arc<Library>,
    shutdown: &tokio_util::sync::CancellationToken,
) -> Result<
    Option<(
        impl UpdateListener<Err = std::convert::Infallible> + Send + use<>,
        tokio::task::JoinHandle<()>,
    )>,
> {
    let Webhook {
        url,
        secret,
        listener: tcp,
    } = hook;
    let secret = match secret {
        Some(s) => s,
        None => new_secret()?,
    };
    let address = tcp.local_addr().map_err(|e| Error::Telegram {
        message: format!("the webhook listener has no address: {e}"),
    })?;
    let (mut listener, stopped, app) = listen(address, &url, &secret, library);
    // Serving before `setWebhook`, so that Telegram's first delivery finds the bot; updates
    // wait in the listener until the dispatcher takes them.
    let stop = listener.stop_token();
    let server = tokio::spawn(async move {
        if let Err(e) = axum::serve(tcp, app).with_graceful_shutdown(stopped).await {
            log::error!("the webhook listener failed: {e}");
        }
    });
    tokio::select! {
        set = set_webhook(bot, &url, &secret) => {
            if let Err(e) = set {
                stop.stop();
                return Err(e);
            }
        }
        () = shutdown.cancelled() => {
            stop.stop();
            return Ok(None);
        }
    }
    log::info!(
        "webhook set: Telegram posts updates to {url}, received on {address} ({HEALTH_PATH} too)"
    );
    Ok(Some((listener, server)))
}

/// The listener's routes: the webhook at `url`'s path (the secret checked first) and
/// [`HEALTH_PATH`]; and the update listener they feed, whose stop token also stops the
/// server.
fn listen(
    address: std::net::SocketAddr,
    url: &url::Url,
    secret: &str,
    library: Arc<Library>,
) -> (
    impl UpdateListener<Err = std::convert::Infallible> + Send + use<>,
    impl Future<Output = ()> + Send + use<>,
    axum::Router,
) {
    // `secret` is valid (checked with the configuration, or made so): this does not panic.
    let options = Options::new(address, url.clone()).secret_token(secret.to_owned());
    let (listener, stopped, hook) = webhooks::axum_no_setup(options);
    let secret: Arc<str> = secret.into();
    let app = hook
        .route_layer(middleware::from_fn_with_state(secret, check_secret))
        .merge(
            axum::Router::new()
                .route(HEALTH_PATH, get(health))
                .with_state(library),
        );
    (listener, stopped, app)
}

/// Requests refused for their secret, and when one was last logged (Unix seconds).
static REFUSED: AtomicU64 = AtomicU64::new(0);
static LAST_REFUSAL_LOGGED: AtomicI64 = AtomicI64::new(i64::MIN / 2);

/// Lets a request through to teloxide only with the secret.
async fn check_secret(
    State(secret): State<Arc<str>>,
    request: HttpRequest,
    next: Next,
) -> Response {
    let given = request.headers().get(SECRET_HEADER).map(|v| v.as_bytes());
    if given.is_some_and(|g| same_secret(g, secret.as_bytes())) {
        return next.run(request).await;
    }
    // Anyone who reaches the address can send these: at most one line a minute, with a count.
    let refused = REFUSED.fetch_add(1, Ordering::Relaxed) + 1;
    let now = crate::storage::now();
    let last = LAST_REFUSAL_LOGGED.load(Ordering::Relaxed);
    if now - last >= 60
        && LAST_REFUSAL_LOGGED
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        log::warn!(
            "refused a webhook request {} ({refused} refused since the start)",
            if given.is_some() {
                "with a wrong secret"
            } else {
                "without the secret"
            }
        );
    }
    StatusCode::UNAUTHORIZED.into_response()
}

/// What `GET /healthz` answers.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Health {
    /// Always `"ok"`: the bot is up and answering.
    pub status: String,
    /// Articles in the index answering now.
    pub articles: usize,
    /// Their sentences.
    pub sentences: usize,
    /// The index's generation in hex, as the buttons of answers carry it.
    pub corpus_version: String,
    /// When the articles folder was last read (RFC 3339, UTC).
    pub last_reload: Option<String>,
}

impl Health {
    /// The health of `library` now.
    #[must_use]
    pub fn of(library: &Library) -> Health {
        let index = library.engine().index();
        let last_reload = library.last_reload().map(|t| {
            let secs = t
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            crate::storage::db::iso_time(i64::try_from(secs).unwrap_or(i64::MAX))
        });
        Health {
            status: "ok".into(),
            articles: index.articles().len(),
            sentences: index.sentence_count(),
            corpus_version: format!("{:x}", index.generation()),
            last_reload,
        }
    }
}

async fn health(State(library): State<Arc<Library>>) -> Json<Health> {
    Json(Health::of(&library))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_secrets_are_valid_and_differ() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert!(crate::config::is_webhook_secret(&a), "{a}");
        assert_eq!(a.len(), 32, "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc-_1", b"abc-_1"));
        assert!(!same_secret(b"abc-_2", b"abc-_1"));
        assert!(!same_secret(b"abc", b"abc-_1"));
        assert!(!same_secret(b"", b"abc"));
        assert!(!same_secret(b"Abc", b"abc"));
    }
}
