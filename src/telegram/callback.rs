//! What the buttons under an answer carry. Telegram gives a button at most 64 bytes of
//! callback data and keeps no state for us, so the data says everything needed: the version
//! of the corpus the answer came from (so that a button pressed after the articles changed
//! can say so instead of showing the wrong sentence), and a sentence id or how many quotes were
//! shown. "More" needs the question too: for a message in a chat it is the message the answer
//! replied to; a message sent inline has none, so there the question itself rides along when
//! it fits. 👍 and 👎 carry the corpus version and sentence id of their answer, under which the
//! storage keeps the quote, so that a vote counts against the right quote after a reload.

/// Telegram's limit on callback data.
pub const MAX_DATA: usize = 64;

/// The most quotes "More" goes to. Anyone can send any 64 bytes as a press, so `shown` is
/// clamped to this when read: it becomes a search depth.
pub const MAX_SHOWN: u32 = 30;

/// A button's meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Button {
    /// The sentences around a quote.
    Context {
        /// The corpus version of the answer.
        generation: u64,
        /// The quoted sentence.
        sentence: u32,
    },
    /// A page of the list of articles.
    Page {
        /// The page, from 0.
        page: u32,
    },
    /// The next quotes for the question, after `shown`.
    More {
        /// The corpus version of the answer.
        generation: u64,
        /// How many quotes were shown so far.
        shown: u32,
        /// The question, for inline messages (which have no question to reply to).
        question: Option<String>,
    },
    /// 👍 (`up`) or 👎 on the answer that is this sentence of this corpus version.
    Vote {
        /// The corpus version of the answer.
        generation: u64,
        /// The quoted sentence.
        sentence: u32,
        /// 👍 or 👎.
        up: bool,
    },
}

impl Button {
    /// The callback data, or `None` when it would not fit in 64 bytes.
    #[must_use]
    pub fn encode(&self) -> Option<String> {
        let data = match self {
            Button::Context {
                generation,
                sentence,
            } => format!("c:{generation:x}:{sentence}"),
            Button::Page { page } => format!("p:0:{page}"),
            Button::More {
                generation,
                shown,
                question: None,
            } => format!("m:{generation:x}:{shown}"),
            Button::More {
                generation,
                shown,
                question: Some(q),
            } => format!("q:{generation:x}:{shown}:{q}"),
            Button::Vote {
                generation,
                sentence,
                up,
            } => format!(
                "v:{generation:x}:{sentence}:{}",
                if *up { "u" } else { "d" }
            ),
        };
        (data.len() <= MAX_DATA).then_some(data)
    }

    /// Reads callback data; `None` for anything else (an old format, a forged press).
    #[must_use]
    pub fn decode(data: &str) -> Option<Button> {
        let mut parts = data.splitn(4, ':');
        let kind = parts.next()?;
        let generation = u64::from_str_radix(parts.next()?, 16).ok()?;
        let number: u32 = parts.next()?.parse().ok()?;
        let shown = number.min(MAX_SHOWN);
        let rest = parts.next();
        match (kind, rest) {
            ("c", None) => Some(Button::Context {
                generation,
                sentence: number,
            }),
            ("p", None) => Some(Button::Page { page: number }),
            ("m", None) => Some(Button::More {
                generation,
                shown,
                question: None,
            }),
            ("v", Some(vote @ ("u" | "d"))) => Some(Button::Vote {
                generation,
                sentence: number,
                up: vote == "u",
            }),
            ("q", Some(q)) if !q.trim().is_empty() => Some(Button::More {
                generation,
                shown,
                question: Some(q.to_string()),
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for b in [
            Button::Context {
                generation: u64::MAX,
                sentence: u32::MAX,
            },
            Button::More {
                generation: 0xdead_beef,
                shown: 1,
                question: None,
            },
            Button::More {
                generation: 7,
                shown: 4,
                question: Some("grain: exports?".into()),
            },
            Button::Page { page: 12 },
            Button::Vote {
                generation: u64::MAX,
                sentence: u32::MAX,
                up: false,
            },
            Button::Vote {
                generation: 1,
                sentence: 0,
                up: true,
            },
        ] {
            let data = b.encode().unwrap();
            assert!(data.len() <= MAX_DATA, "{data}");
            assert_eq!(Button::decode(&data), Some(b), "{data}");
        }
    }

    #[test]
    fn long_questions_do_not_fit_and_junk_is_refused() {
        let long = Button::More {
            generation: 1,
            shown: 1,
            question: Some("x".repeat(60)),
        };
        assert_eq!(long.encode(), None);
        for junk in [
            "",
            "c",
            "c:zz:1",
            "c:1:-1",
            "m:1:1:extra",
            "q:1:1:",
            "x:1:1",
            "c:1:99999999999",
            "v:1:1",
            "v:1:1:x",
            "v:1:1:up",
            "v:zz:1:u",
        ] {
            assert_eq!(Button::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn forged_counts_are_clamped() {
        for (data, shown) in [
            ("m:1:4294967295", MAX_SHOWN),
            ("q:1:4000000000:grain", MAX_SHOWN),
            ("m:1:7", 7),
        ] {
            match Button::decode(data) {
                Some(Button::More { shown: s, .. }) => assert_eq!(s, shown, "{data}"),
                other => panic!("{data}: {other:?}"),
            }
        }
    }
}
