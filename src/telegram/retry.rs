//! Sending with retries: a reply that fails because of a passing fault — a network error, a
//! server error (5xx), a flood-control 429 — is sent again after a growing pause, a bounded
//! number of times, so that a hiccup loses no reply. Errors that would only repeat (a bad
//! request, a bot blocked by the user) are returned at once.
//!
//! The pauses are [`super::backoff`]'s; a 429 is sent again after its `retry_after`. teloxide
//! itself pauses ten seconds after a 5xx before it reports it. Messages go through the
//! [`Limiter`], every attempt counted.

use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::requests::{Output, Request};
use teloxide::types::ChatId;

use super::limits::Limiter;

/// Attempts per request, the first included.
pub const ATTEMPTS: u32 = 5;

/// Descriptions that start with these (Telegram's wording for HTTP 400, 401, 403, 404 and 409)
/// say the request itself is wrong or not allowed: sending it again cannot succeed.
const PERMANENT: &[&str] = &[
    "bad request",
    "unauthorized",
    "forbidden",
    "not found",
    "conflict",
];

/// Whether trying again may succeed.
///
/// teloxide keeps neither the HTTP status nor the `error_code` of a failed call, only its
/// `description`, so the decision is made the other way round: a description is taken as
/// permanent only when it is one of the client errors that cannot succeed (`PERMANENT`, and
/// every error teloxide recognises by name, all of which are client errors); anything else — a 5xx
/// worded in any way, an empty description, a network failure, an answer that is not JSON —
/// is tried again. A wrong guess costs at most [`ATTEMPTS`] tries of a request that would have
/// failed anyway; the opposite guess loses a reply.
#[must_use]
pub fn is_transient(e: &RequestError) -> bool {
    match e {
        RequestError::Network(_) | RequestError::InvalidJson { .. } | RequestError::Io(_) => true,
        RequestError::RetryAfter(_) => true,
        RequestError::Api(ApiError::Unknown(description)) => {
            let d = description.trim_start().to_ascii_lowercase();
            !PERMANENT.iter().any(|p| d.starts_with(p))
        }
        _ => false,
    }
}

/// Sends `request`, retrying passing faults: for requests that are not messages (answers to
/// buttons and inline queries, files).
pub async fn send<R>(request: R) -> Result<Output<R>, RequestError>
where
    R: Request<Err = RequestError>,
{
    attempts(None, None, request).await
}

/// Sends the message `request` to `chat` (or to no chat, for an inline message) within
/// Telegram's rate limits, retrying passing faults.
pub async fn send_message<R>(
    limiter: &Limiter,
    chat: Option<ChatId>,
    request: R,
) -> Result<Output<R>, RequestError>
where
    R: Request<Err = RequestError>,
{
    attempts(Some(limiter), chat, request).await
}

async fn attempts<R>(
    limiter: Option<&Limiter>,
    chat: Option<ChatId>,
    request: R,
) -> Result<Output<R>, RequestError>
where
    R: Request<Err = RequestError>,
{
    let mut attempt = 1;
    loop {
        let result = match limiter {
            Some(l) => l.send(chat, request.send_ref()).await,
            None => request.send_ref().await,
        };
        match result {
            Ok(output) => return Ok(output),
            Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                // The same pauses as polling's: 0.5, 1, 2, 4 s.
                let pause = super::backoff(attempt - 1);
                let wait = match &e {
                    RequestError::RetryAfter(s) => s.duration().max(pause),
                    _ => pause,
                };
                log::warn!(
                    "a request to Telegram failed ({}); trying again in {wait:?}",
                    super::describe(&e)
                );
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_are_transient_in_any_wording_and_client_errors_are_not() {
        let unknown = |d: &str| RequestError::Api(ApiError::Unknown(d.into()));
        for d in [
            "Bad Gateway",
            "Internal Server Error",
            "Internal Server Error: restart",
            "upstream hiccup",
            "",
            "Too Many Requests: retry later",
        ] {
            assert!(is_transient(&unknown(d)), "{d:?}");
        }
        for d in [
            "Bad Request: message text is empty",
            "Forbidden: bot was kicked from the group chat",
            "Unauthorized",
            "Not Found",
            "Conflict: terminated by other getUpdates request",
        ] {
            assert!(!is_transient(&unknown(d)), "{d:?}");
        }
        assert!(!is_transient(&RequestError::Api(ApiError::BotBlocked)));
        assert!(!is_transient(&RequestError::Api(
            ApiError::MessageNotModified
        )));
    }
}
