//! Keeping the bot token out of every log line and error message. The token is part of every
//! Bot API address (`/bot<token>/sendMessage`), and an HTTP client's errors quote the address,
//! so any error could carry it: the log formatter and the final error message both pass
//! through [`Redactor::redact`].

use std::borrow::Cow;
use std::sync::OnceLock;

/// What the token is replaced with.
pub const MASK: &str = "<token>";

/// Replaces a secret in text.
#[derive(Clone, Debug)]
pub struct Redactor {
    secret: String,
}

impl Redactor {
    /// A redactor for `secret`; an empty one redacts nothing.
    #[must_use]
    pub fn new(secret: &str) -> Redactor {
        Redactor {
            secret: secret.to_string(),
        }
    }

    /// `text` without the secret, nor its part after a bot id's colon (which is the
    /// secret half of a token).
    #[must_use]
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.secret.is_empty() {
            return Cow::Borrowed(text);
        }
        let secret_half = self
            .secret
            .split_once(':')
            .map(|(_, s)| s)
            .filter(|s| s.len() >= 8);
        let mut out = Cow::Borrowed(text);
        if out.contains(self.secret.as_str()) {
            out = Cow::Owned(out.replace(self.secret.as_str(), MASK));
        }
        if let Some(half) = secret_half
            && out.contains(half)
        {
            out = Cow::Owned(out.replace(half, MASK));
        }
        out
    }
}

static GLOBAL: OnceLock<Redactor> = OnceLock::new();

/// Sets the redactor that [`redact`] uses (once, at start-up).
pub fn set_global(redactor: Redactor) {
    let _ = GLOBAL.set(redactor);
}

/// `text` without the token set by [`set_global`].
#[must_use]
pub fn redact(text: &str) -> Cow<'_, str> {
    match GLOBAL.get() {
        Some(r) => r.redact(text),
        None => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_and_its_secret_half_are_masked() {
        let r = Redactor::new("123456:AAE-secret_part_xyz");
        assert_eq!(
            r.redact(
                "error sending request for url (http://x/bot123456:AAE-secret_part_xyz/getMe)"
            ),
            "error sending request for url (http://x/bot<token>/getMe)"
        );
        assert_eq!(
            r.redact("half AAE-secret_part_xyz leaked"),
            "half <token> leaked"
        );
        assert_eq!(r.redact("nothing here"), "nothing here");
        assert_eq!(Redactor::new("").redact("bot123"), "bot123");
    }
}
