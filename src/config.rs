//! The configuration file (`config/quotebot.toml`): every key has a default, so an empty file,
//! or one holding only `[telegram]` and `admins = [123]`, is valid. Unknown keys are errors, so
//! that a misspelt key is not silently ignored. Every key is documented in docs/GUIDE.md ("Configuration").

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// Where the configuration is read from when no `--config` is given.
pub const DEFAULT_PATH: &str = "config/quotebot.toml";

/// The whole configuration.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[general]`
    pub general: GeneralConfig,
    /// `[corpus]`
    pub corpus: CorpusConfig,
    /// `[search]`
    pub search: SearchConfig,
    /// `[telegram]`
    pub telegram: TelegramConfig,
    /// `[storage]`
    pub storage: StorageConfig,
    /// `[web]`
    pub web: WebConfig,
    /// `[[feeds]]` tables, one per feed the bot follows.
    pub feeds: Vec<FeedConfig>,
}

/// `[general]`: what the whole program shares.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GeneralConfig {
    /// The time zone whose day "today" and "yesterday" in questions mean (`"Asia/Tehran"`,
    /// `"UTC"`…; names other than `UTC` need the system's time zone database, `tzdata`); empty: the
    /// system's.
    pub timezone: String,
}

/// `[corpus]`: where the articles are.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CorpusConfig {
    /// The corpus folder; `--corpus` beats it.
    pub dir: PathBuf,
}

impl Default for CorpusConfig {
    fn default() -> Self {
        CorpusConfig {
            dir: PathBuf::from("corpus"),
        }
    }
}

/// `[search]`: how questions are matched.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Answers per question for `ask`; `--top` beats it.
    pub top: usize,
    /// Answers scoring below this are "not found"; `--min-score` beats it; `0` turns it off.
    pub min_score: f32,
    /// Match mistyped words.
    pub fuzzy: bool,
    /// Words this long (letters) may match one edit away.
    pub fuzzy_min_len: usize,
    /// Words this long with nothing one edit away may match two edits away, first letter kept (`0`:
    /// never).
    pub fuzzy_two_edits_len: usize,
    /// At most this many vocabulary words stand in for one mistyped word.
    pub max_expansions: usize,
    /// How much a word of a question word's family (WordNet: `inventor` for `invented`) counts; `0`
    /// turns families off.
    pub family_weight: f32,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            top: 1,
            min_score: 0.5,
            fuzzy: true,
            fuzzy_min_len: 4,
            fuzzy_two_edits_len: 8,
            max_expansions: 5,
            family_weight: 0.5,
        }
    }
}

/// `[telegram]`: who may use the bot, and how updates arrive.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramConfig {
    /// Chats the bot answers in; empty means every chat.
    pub allowed_chats: Vec<i64>,
    /// Users (ids) who may use `/reload`, `/add URL`, `/unanswered`, see the counts in `/about` and
    /// add articles by sending links and documents.
    pub admins: Vec<u64>,
    /// The language of the bot's own words: `"auto"` (each user's Telegram language: Russian,
    /// Persian, else English), or `"en"`, `"ru"`, `"fa"` for everyone (see "Languages").
    pub language: crate::i18n::Language,
    /// Webhook mode: the public `https://` address Telegram posts updates to; empty: polling;
    /// `--webhook-url` beats it (see "Webhook mode").
    pub webhook_url: String,
    /// Where webhook mode listens (with `GET /healthz`); `--listen` beats it.
    pub listen: Listen,
    /// The secret Telegram sends with every update, 1 to 256 of `A-Z a-z 0-9 _ -`; requests without
    /// it get 401.
    pub webhook_secret: Option<String>,
}

/// `[telegram] listen`: an address and port [default: 127.0.0.1:8443, for a proxy on the same
/// machine].
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Listen(pub SocketAddr);

impl Default for Listen {
    fn default() -> Self {
        Listen(SocketAddr::from(([127, 0, 0, 1], 8443)))
    }
}

/// Why `url` cannot be a webhook address: Telegram posts only to HTTPS, and `/healthz` is the
/// listener's own.
pub fn check_webhook_url(url: &str) -> std::result::Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url:?} is not a URL ({e})"))?;
    if parsed.scheme() != "https" || parsed.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "{url:?} is not an https:// address (Telegram posts updates only over HTTPS)"
        ));
    }
    // Telegram's own rule, said now rather than as a refused setWebhook.
    if !matches!(parsed.port_or_known_default(), Some(443 | 80 | 88 | 8443)) {
        return Err(format!(
            "{url:?}: Telegram posts updates only to ports 443, 80, 88 or 8443"
        ));
    }
    if parsed.path() == "/healthz" {
        return Err(format!(
            "{url:?}: the path /healthz is the health check's; choose another"
        ));
    }
    // The path becomes a route of the listener's router, which reads these as captures.
    if parsed
        .path_segments()
        .into_iter()
        .flatten()
        .any(|s| s.starts_with([':', '*']) || s.contains(['{', '}']))
    {
        return Err(format!(
            "{url:?}: a path segment may not start with : or * (nor hold braces)"
        ));
    }
    Ok(parsed)
}

/// Whether `secret` is one Telegram takes: 1 to 256 characters of `A-Z a-z 0-9 _ -`.
#[must_use]
pub fn is_webhook_secret(secret: &str) -> bool {
    (1..=256).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `[storage]`: the operators' database (what was asked and not found, votes, follows), opened
/// only by `quotebot telegram` and `quotebot report`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// The bot's database (created with its folder on first run; only `telegram` and `report` open
    /// it).
    pub path: PathBuf,
    /// Questions, counts, answers and votes older than this many days are deleted.
    pub keep_days: u32,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            path: PathBuf::from("data/quotebot.sqlite"),
            keep_days: 90,
        }
    }
}

/// `[web]`: fetching pages and feeds.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Fetch links to loopback, private, link-local and other local addresses (keep it `false` on a
    /// bot).
    pub allow_private_addresses: bool,
    /// A proxy for every fetch (`http://host:port`); empty: none; the `HTTP_PROXY`-style variables
    /// are never used.
    pub proxy: String,
}

/// One `[[feeds]]` table: a feed the bot follows.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// The feed's address: RSS 2.0, Atom or JSON Feed.
    pub url: String,
    /// How often it is fetched: `"10s"`, `"15m"`, `"1h30m"`, `"1d"` (15 minutes or more
    /// recommended).
    #[serde(default = "default_every", deserialize_with = "duration")]
    pub every: std::time::Duration,
}

fn default_every() -> std::time::Duration {
    std::time::Duration::from_secs(30 * 60)
}

fn duration<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<std::time::Duration, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "{s:?} is not a duration like \"30m\", \"10s\" or \"1h30m\""
        ))
    })
}

/// `"30m"`, `"10s"`, `"1h30m"`, `"2d"` as a duration of at least one second.
#[must_use]
pub fn parse_duration(s: &str) -> Option<std::time::Duration> {
    let mut total: u64 = 0;
    let mut number = String::new();
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        let n: u64 = number.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return None;
    }
    Some(std::time::Duration::from_secs(total))
}

impl Config {
    /// Parses a configuration file's text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |message: String| Error::Config {
            path: path.to_path_buf(),
            message,
        };
        crate::date::time_zone_named(&config.general.timezone)
            .map_err(|e| invalid(format!("[general] timezone: {e}")))?;
        let telegram = &config.telegram;
        if !telegram.webhook_url.is_empty() {
            check_webhook_url(&telegram.webhook_url)
                .map_err(|e| invalid(format!("[telegram] webhook_url: {e}")))?;
        }
        // Checked here because teloxide panics on a secret Telegram would refuse; never
        // repeated in the message, as it is a secret.
        if telegram
            .webhook_secret
            .as_deref()
            .is_some_and(|s| !is_webhook_secret(s))
        {
            return Err(invalid(
                "[telegram] webhook_secret must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)".into(),
            ));
        }
        if config.storage.keep_days == 0 {
            return Err(Error::Config {
                path: path.to_path_buf(),
                message: "[storage] keep_days must be at least 1 (0 would delete every record as soon as it is written)".into(),
            });
        }
        Ok(config)
    }

    /// Reads `path`, or [`DEFAULT_PATH`] when `path` is `None` and that file exists, or else
    /// returns the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => {
                let default = PathBuf::from(DEFAULT_PATH);
                if !default.exists() {
                    return Ok(Config::default());
                }
                default
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|e| Error::Io {
            path: path.clone(),
            source: e,
        })?;
        Config::parse(&path, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_partial_files_take_defaults() {
        assert_eq!(
            Config::parse(Path::new("c"), "").unwrap(),
            Config::default()
        );
        let c = Config::parse(Path::new("c"), "[telegram]\nadmins = [123]\n").unwrap();
        assert_eq!(c.telegram.admins, [123]);
        assert_eq!(c.search, SearchConfig::default());
        assert_eq!(c.corpus.dir, Path::new("corpus"));
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_errors() {
        let err = Config::parse(Path::new("q.toml"), "[search]\nmin_scor = 1\n").unwrap_err();
        assert!(err.to_string().contains("q.toml"), "{err}");
        assert!(err.to_string().contains("min_scor"), "{err}");
        let err = Config::parse(Path::new("q.toml"), "[search]\ntop = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("top"), "{err}");
    }

    #[test]
    fn web_and_feeds() {
        let c = Config::parse(
            Path::new("c"),
            "[web]\nallow_private_addresses = true\n[[feeds]]\nurl = \"https://a.example/rss\"\nevery = \"1h30m\"\n[[feeds]]\nurl = \"https://b.example/atom\"\n",
        )
        .unwrap();
        assert!(c.web.allow_private_addresses);
        assert_eq!(c.feeds.len(), 2);
        assert_eq!(c.feeds[0].every.as_secs(), 5400);
        assert_eq!(c.feeds[1].every.as_secs(), 1800);
        let err = Config::parse(Path::new("c"), "[[feeds]]\nurl = \"x\"\nevery = \"soon\"\n")
            .unwrap_err();
        assert!(err.to_string().contains("soon"), "{err}");
        assert_eq!(parse_duration("10s").map(|d| d.as_secs()), Some(10));
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("10"), None);
    }

    #[test]
    fn the_language_is_auto_or_one_of_three() {
        let c = Config::parse(Path::new("c"), "[telegram]\nlanguage = \"fa\"\n").unwrap();
        assert_eq!(
            c.telegram.language,
            crate::i18n::Language::Fixed(crate::i18n::Lang::Fa)
        );
        assert_eq!(
            Config::default().telegram.language,
            crate::i18n::Language::Auto
        );
        let err = Config::parse(Path::new("q.toml"), "[telegram]\nlanguage = \"de\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("q.toml")
                && err.contains("language")
                && err.contains("\"auto\", \"en\", \"ru\" or \"fa\", not \"de\""),
            "{err}"
        );
    }

    #[test]
    fn keep_days_of_zero_is_an_error() {
        let err = Config::parse(Path::new("q.toml"), "[storage]\nkeep_days = 0\n").unwrap_err();
        let err = err.to_string();
        assert!(
            err.contains("q.toml") && err.contains("keep_days must be at least 1"),
            "{err}"
        );
        let c = Config::parse(Path::new("q.toml"), "[storage]\nkeep_days = 1\n").unwrap();
        assert_eq!(c.storage.keep_days, 1);
    }

    #[test]
    fn webhook_keys() {
        let c = Config::parse(
            Path::new("c"),
            "[telegram]\nwebhook_url = \"https://bot.example.com/hook\"\nlisten = \"0.0.0.0:9000\"\nwebhook_secret = \"a-Z_9\"\n",
        )
        .unwrap();
        assert_eq!(c.telegram.webhook_url, "https://bot.example.com/hook");
        assert_eq!(c.telegram.listen.0, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(c.telegram.webhook_secret.as_deref(), Some("a-Z_9"));
        assert_eq!(Listen::default().0, "127.0.0.1:8443".parse().unwrap());
        // The time zone: a known name, or an error naming the key.
        let utc = Config::parse(Path::new("c"), "[general]\ntimezone = \"UTC\"\n").unwrap();
        assert_eq!(utc.general.timezone, "UTC");
        let e = Config::parse(Path::new("c"), "[general]\ntimezone = \"Mars/Olympus\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("[general] timezone") && e.contains("Mars/Olympus"),
            "{e}"
        );
        // Telegram's ports only.
        assert!(check_webhook_url("https://bot.example.com:8443/hook").is_ok());
        let e = check_webhook_url("https://bot.example.com:8080/hook").unwrap_err();
        assert!(e.contains("443, 80, 88 or 8443"), "{e}");
        let long = "x".repeat(256);
        let parsed = Config::parse(
            Path::new("c"),
            &format!("[telegram]\nwebhook_secret = \"{long}\"\n"),
        );
        assert!(parsed.is_ok(), "{parsed:?}");
        for bad in ["", "has space", "dot.", "ünï", &"x".repeat(257)] {
            let err = Config::parse(
                Path::new("q.toml"),
                &format!("[telegram]\nwebhook_secret = \"{bad}\"\n"),
            )
            .unwrap_err()
            .to_string();
            assert!(
                err.starts_with("q.toml: [telegram] webhook_secret must be"),
                "{bad:?}: {err}"
            );
            assert!(
                bad.is_empty() || !err.contains(bad),
                "the secret is echoed: {err}"
            );
        }
        for bad in [
            "http://bot.example.com/hook",
            "bot.example.com",
            "https://x.org/healthz",
        ] {
            let err = Config::parse(
                Path::new("q.toml"),
                &format!("[telegram]\nwebhook_url = \"{bad}\"\n"),
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("[telegram] webhook_url"), "{bad:?}: {err}");
        }
        let err = Config::parse(Path::new("q.toml"), "[telegram]\nlisten = \"8443\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("listen"), "{err}");
    }

    #[test]
    fn the_shipped_file_is_valid_and_matches_the_defaults() {
        let text = include_str!("../config/quotebot.toml");
        let c = Config::parse(Path::new(DEFAULT_PATH), text).unwrap();
        assert_eq!(
            c,
            Config::default(),
            "config/quotebot.toml should spell out the defaults"
        );
    }

    /// The keys of the `Config` types (read from this file), each with its doc comment (the
    /// lines joined), and whether it is optional (an `Option`).
    fn documented_keys() -> Vec<(String, String, bool)> {
        let source = include_str!("config.rs");
        let body = |name: &str| -> &str {
            let start = source.find(&format!("pub struct {name} {{")).unwrap();
            let end = start + source[start..].find("\n}\n").unwrap();
            &source[start..end]
        };
        let fields = |name: &str| -> Vec<(String, String, String)> {
            let lines: Vec<&str> = body(name).lines().collect();
            lines
                .iter()
                .enumerate()
                .filter_map(|(i, l)| {
                    let (field, ty) = l.trim().strip_prefix("pub ")?.split_once(": ")?;
                    let doc: Vec<&str> = lines[..i]
                        .iter()
                        .rev()
                        .skip_while(|l| l.trim().starts_with("#["))
                        .map_while(|l| l.trim().strip_prefix("///"))
                        .collect();
                    assert!(!doc.is_empty(), "{name}.{field} has no doc comment");
                    let doc: Vec<&str> = doc.iter().rev().map(|l| l.trim()).collect();
                    Some((
                        field.to_string(),
                        ty.trim_end_matches(',').to_string(),
                        doc.join(" "),
                    ))
                })
                .collect()
        };
        let mut keys = Vec::new();
        for (section, ty, doc) in fields("Config") {
            let ty = ty.trim_start_matches("Vec<").trim_end_matches('>');
            if section == "feeds" {
                keys.push((section.clone(), doc, false));
            }
            keys.extend(fields(ty).into_iter().map(|(field, ty, doc)| {
                (format!("{section}.{field}"), doc, ty.starts_with("Option<"))
            }));
        }
        keys
    }

    /// The three descriptions of the configuration agree: every key of the types above is a
    /// row of the guide's table and no row is anything else, and each row's default is the
    /// value the shipped file spells out (which the test above holds to the code's defaults).
    #[test]
    fn the_guide_the_shipped_file_and_the_types_agree() {
        let documented = documented_keys();
        let keys: Vec<String> = documented.iter().map(|(k, _, _)| k.clone()).collect();
        assert!(keys.contains(&"search.min_score".to_string()), "{keys:?}");
        let guide = include_str!("../docs/GUIDE.md");
        let section = &guide[guide.find("## Configuration").unwrap()..];
        // The table's rows: key, default, meaning.
        let rows: Vec<(String, String, String)> = section
            .lines()
            .skip_while(|l| !l.starts_with("| key"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.split(" | ").collect();
                (
                    cells[0]
                        .trim_start_matches("| ")
                        .trim_matches('`')
                        .to_string(),
                    cells[1].trim_matches('`').to_string(),
                    cells[2..].join(" | ").trim_end_matches(" |").to_string(),
                )
            })
            .collect();
        // Each row's meaning is its field's doc comment (less the capital and the full stop).
        for (key, _, meaning) in &rows {
            let (_, doc, _) = documented
                .iter()
                .find(|(k, _, _)| k == key)
                .unwrap_or_else(|| panic!("{key} is not a key of the Config types"));
            let mut chars = doc.trim_end_matches('.').chars();
            let doc: String = chars
                .next()
                .map(|c| c.to_lowercase().chain(chars).collect())
                .unwrap_or_default();
            assert_eq!(
                &doc, meaning,
                "{key}: the doc comment and the guide's meaning"
            );
        }
        let table: Vec<&String> = rows.iter().map(|(k, _, _)| k).collect();
        let mut sorted_keys = keys.clone();
        sorted_keys.sort();
        let mut sorted_table = table.clone();
        sorted_table.sort();
        assert_eq!(
            sorted_table,
            sorted_keys.iter().collect::<Vec<_>>(),
            "docs/GUIDE.md's table and the Config types"
        );
        // A feed's default interval, as the guide says it, is the code's.
        let every = rows.iter().find(|(k, _, _)| k == "feeds.every").unwrap();
        let feed = Config::parse(Path::new("c"), "[[feeds]]\nurl = \"https://x.org/f\"\n").unwrap();
        let said = Config::parse(
            Path::new("c"),
            &format!(
                "[[feeds]]\nurl = \"https://x.org/f\"\nevery = {}\n",
                every.1
            ),
        )
        .unwrap();
        assert_eq!(feed.feeds[0].every, said.feeds[0].every, "feeds.every");
        let shipped: toml::Table = toml::from_str(include_str!("../config/quotebot.toml")).unwrap();
        for (key, default, _) in &rows {
            let Some((section, field)) = key.split_once('.') else {
                continue;
            };
            // A row says "(none…)" exactly for the keys that are optional in the types.
            let optional = documented.iter().any(|(k, _, o)| k == key && *o);
            assert_eq!(default.starts_with("(none"), optional, "{key}: {default}");
            if section == "feeds" {
                continue;
            }
            match shipped[section].get(field) {
                Some(value) => assert_eq!(&value.to_string(), default, "{key}"),
                None => assert!(optional, "{key} is not in the shipped file"),
            }
        }
    }
}
