//! Fetching a page or a feed without letting a link reach where it must not: `http` and
//! `https` only, a connect and a total timeout, a few redirects, a size limit (after
//! decompression), HTML, plain text and feeds only, and no address on the machine's own
//! network — checked on every address a name resolves to (only those are connected to), on
//! every redirect, and on the address the answer came from — unless the configuration allows
//! private addresses.

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use crate::config::WebConfig;

/// Connecting may take this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The whole fetch, body included, may take this long.
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(20);
/// At most this many redirects are followed.
pub const MAX_REDIRECTS: usize = 5;
/// At most this many bytes are read (after decompression).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Who is asking.
pub const USER_AGENT: &str = concat!(
    "quotebot/",
    env!("CARGO_PKG_VERSION"),
    " (news quote bot; adds articles that its admins link)"
);

/// Why a fetch failed; the message is for the user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// Not a link quotebot fetches.
    #[error("{0}")]
    BadUrl(String),
    /// The address is on a private network.
    #[error("{0} is a private or local address, which is not fetched")]
    Private(String),
    /// Too many redirects.
    #[error("the link redirects more than {MAX_REDIRECTS} times")]
    TooManyRedirects,
    /// The server did not answer in time.
    #[error("the server did not answer within {} s", TOTAL_TIMEOUT.as_secs())]
    Timeout,
    /// The server answered with an error status.
    #[error("the server answered {0}")]
    Status(String),
    /// Neither a page nor a feed.
    #[error("it is {0}, not a web page")]
    WrongType(String),
    /// More than [`MAX_BYTES`].
    #[error("the page is larger than {} MiB", MAX_BYTES / 1024 / 1024)]
    TooLarge,
    /// Anything else on the way (no such host, connection refused, TLS…).
    #[error("it could not be fetched: {0}")]
    Network(String),
}

/// What kind of document is wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    /// An HTML or plain-text page.
    Page,
    /// An RSS, Atom or JSON feed.
    Feed,
}

/// A fetched document.
#[derive(Clone, Debug)]
pub struct Fetched {
    /// The address it was finally read from (after redirects).
    pub url: String,
    /// Its media type, lowercased, without parameters (empty when the server sent none).
    pub media_type: String,
    /// The `charset` the server named, if any.
    pub charset: Option<String>,
    /// The body, decompressed.
    pub bytes: Vec<u8>,
}

impl Fetched {
    /// Whether it is plain text rather than HTML.
    #[must_use]
    pub fn is_plain_text(&self) -> bool {
        self.media_type == "text/plain"
    }

    /// The body as text, in its charset.
    #[must_use]
    pub fn text(&self) -> String {
        super::charset::decode(&self.bytes, self.charset.as_deref())
    }
}

/// Whether quotebot may connect to `ip` when private addresses are not allowed: not loopback,
/// private, link-local, shared (CGNAT), unspecified, "this network", broadcast, multicast,
/// documentation or reserved — IPv4-mapped and -compatible IPv6 forms judged as IPv4.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            // ::a.b.c.d (IPv4-compatible, deprecated) and NAT64 64:ff9b::/96.
            if s[..6] == [0, 0, 0, 0, 0, 0] && !v6.is_loopback() && !v6.is_unspecified() {
                return is_public_v4(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
            }
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return is_public_v4(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])) // discard 100::/64
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0 // "this network" 0/8
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared 100.64/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
        || o[0] >= 240) // reserved 240/4
}

/// The error a resolver or redirect check gives for a private address, found again in
/// reqwest's error chain.
#[derive(Debug)]
struct Blocked(FetchError);

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl StdError for Blocked {}

/// Resolves names with the system resolver and keeps only the addresses that may be
/// connected to: reqwest connects only to what this returns.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if allowed.is_empty() && !addrs.is_empty() {
                let err: Box<dyn StdError + Send + Sync> =
                    Box::new(Blocked(FetchError::Private(host)));
                return Err(err);
            }
            let addrs: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// Fetches pages and feeds by the rules above; cheap to clone.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    allow_private: bool,
}

impl Fetcher {
    /// A fetcher for the `[web]` configuration.
    pub fn new(config: &WebConfig) -> Result<Fetcher, FetchError> {
        let allow_private = config.allow_private_addresses;
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(Blocked(FetchError::TooManyRedirects));
            }
            match check_url(attempt.url(), allow_private) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(Blocked(e)),
            }
        });
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .redirect(redirects)
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .gzip(true)
            .brotli(true)
            // Fetches are rare, and a pooled connection belongs to the runtime that made it
            // (feeds are polled on a runtime of their own).
            .pool_max_idle_per_host(0);
        builder = if config.proxy.trim().is_empty() {
            // HTTP_PROXY and friends are not a way around the address check.
            builder.no_proxy()
        } else {
            let proxy = reqwest::Proxy::all(config.proxy.trim())
                .map_err(|e| FetchError::BadUrl(format!("[web] proxy: {e}")))?;
            builder.proxy(proxy)
        };
        let client = builder
            .build()
            .map_err(|e| FetchError::Network(e.to_string()))?;
        Ok(Fetcher {
            client,
            allow_private,
        })
    }

    /// Fetches `url`.
    pub async fn get(&self, url: &str, want: Want) -> Result<Fetched, FetchError> {
        let parsed = parse_url(url)?;
        check_url(&parsed, self.allow_private)?;
        let accept = match want {
            Want::Page => "text/html,application/xhtml+xml,text/plain;q=0.8",
            Want::Feed => {
                "application/rss+xml,application/atom+xml,application/feed+json,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5"
            }
        };
        let mut response = self
            .client
            .get(parsed)
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
            .map_err(classify)?;
        if let Some(addr) = response.remote_addr()
            && !self.allow_private
            && !is_public(addr.ip())
        {
            return Err(FetchError::Private(addr.ip().to_string()));
        }
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status(
                format!(
                    "{} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                )
                .trim()
                .to_string(),
            ));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !accepted(&media_type, want) {
            return Err(FetchError::WrongType(media_type));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BYTES as u64)
        {
            return Err(FetchError::TooLarge);
        }
        let final_url = response.url().to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if bytes.len() + chunk.len() > MAX_BYTES {
                return Err(FetchError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        if media_type.is_empty() && bytes.contains(&0) {
            return Err(FetchError::WrongType("binary data".into()));
        }
        Ok(Fetched {
            url: final_url,
            media_type,
            charset: super::charset::charset_param(&content_type).map(str::to_string),
            bytes,
        })
    }
}

/// Whether a media type is one quotebot reads (an empty one is judged by its bytes later).
fn accepted(media_type: &str, want: Want) -> bool {
    let page = matches!(
        media_type,
        "" | "text/html" | "application/xhtml+xml" | "text/plain"
    );
    match want {
        Want::Page => page,
        Want::Feed => {
            page || media_type.ends_with("+xml")
                || media_type.ends_with("/xml")
                || media_type.ends_with("+json")
                || media_type == "application/json"
        }
    }
}

/// Parses a link, `http`/`https` only.
pub fn parse_url(url: &str) -> Result<url::Url, FetchError> {
    let parsed = url::Url::parse(url.trim())
        .map_err(|e| FetchError::BadUrl(format!("{url:?} is not a link: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(FetchError::BadUrl(format!(
            "only http and https links are fetched, not {}:",
            parsed.scheme()
        )));
    }
    if parsed.host().is_none() {
        return Err(FetchError::BadUrl(format!("{url:?} has no host")));
    }
    Ok(parsed)
}

/// The checks a URL can have before any name is resolved: its scheme, and its host when that
/// is an address (names are checked by the resolver).
fn check_url(url: &url::Url, allow_private: bool) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::BadUrl(format!(
            "the link leads to a {}: address, which is not fetched",
            url.scheme()
        )));
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err(FetchError::BadUrl("the link has no host".into())),
    };
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(FetchError::Private(ip.to_string()))
    }
}

/// A reqwest error as the user should read it.
fn classify(e: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn StdError + 'static)> = Some(&e);
    while let Some(s) = source {
        if let Some(Blocked(inner)) = s.downcast_ref::<Blocked>() {
            return inner.clone();
        }
        source = s.source();
    }
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    if e.is_redirect() {
        return FetchError::TooManyRedirects;
    }
    // The innermost cause says most ("Connection refused", "failed to lookup address").
    let mut last: &(dyn StdError + 'static) = &e;
    while let Some(s) = last.source() {
        last = s;
    }
    let what = if e.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    };
    FetchError::Network(format!("{what} ({last})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for a in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
        ] {
            assert!(!public(a), "{a} should be refused");
        }
        for a in [
            "93.184.215.14",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(public(a), "{a} should be allowed");
        }
    }

    #[test]
    fn only_http_links() {
        assert!(parse_url("https://example.org/a").is_ok());
        assert!(matches!(
            parse_url("ftp://example.org/a"),
            Err(FetchError::BadUrl(_))
        ));
        assert!(matches!(
            parse_url("file:///etc/passwd"),
            Err(FetchError::BadUrl(_))
        ));
        assert!(matches!(
            parse_url("not a link"),
            Err(FetchError::BadUrl(_))
        ));
        let u = parse_url("http://[::ffff:7f00:1]/").unwrap();
        assert_eq!(
            check_url(&u, false),
            Err(FetchError::Private("::ffff:127.0.0.1".into()))
        );
        assert_eq!(check_url(&u, true), Ok(()));
    }

    #[test]
    fn media_types() {
        assert!(accepted("text/html", Want::Page));
        assert!(!accepted("application/pdf", Want::Page));
        assert!(!accepted("application/rss+xml", Want::Page));
        assert!(accepted("application/rss+xml", Want::Feed));
        assert!(!accepted("image/png", Want::Feed));
    }
}
