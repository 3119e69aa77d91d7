//! Bytes of a web page to text: the charset from a byte-order mark, the `Content-Type`
//! header, or the page's own `<meta charset>` / `http-equiv` (in that order, as browsers do),
//! decoded with `encoding_rs`. Pages saved from a browser have no header, so their `<meta>`
//! decides; a page that names no charset is UTF-8 when it is valid UTF-8, else windows-1252.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// How far into a page its `<meta charset>` is looked for (browsers use 1024 bytes; some
/// pages put it after a long comment or script, so a little more).
const META_SCAN: usize = 4096;

/// Decodes `bytes`; `header_charset` is the `charset` of the `Content-Type` header, if any.
/// Never fails: malformed sequences become U+FFFD.
#[must_use]
pub fn decode(bytes: &[u8], header_charset: Option<&str>) -> String {
    let encoding = Encoding::for_bom(bytes)
        .map(|(e, _)| e)
        .or_else(|| header_charset.and_then(|c| Encoding::for_label(c.trim().as_bytes())))
        .or_else(|| meta_charset(&bytes[..bytes.len().min(META_SCAN)]))
        .unwrap_or_else(|| {
            if std::str::from_utf8(bytes).is_ok() {
                UTF_8
            } else {
                WINDOWS_1252
            }
        });
    // A page that says UTF-16 in its own ASCII text is not UTF-16 (HTML's rule).
    let encoding = if header_charset.is_none() && encoding.output_encoding() != encoding {
        encoding.output_encoding()
    } else {
        encoding
    };
    let (text, _, _) = encoding.decode(bytes);
    text.into_owned()
}

/// The `charset` parameter of a `Content-Type` value.
#[must_use]
pub fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
    })
}

/// The charset a page names in `<meta charset=…>` or
/// `<meta http-equiv="Content-Type" content="…; charset=…">`.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = find(&lower[from..], b"<meta") {
        let start = from + i;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(j) = find(tag, b"charset") {
            let rest = &tag[j + b"charset".len()..];
            let rest = trim_start(rest);
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = trim_start(rest);
                let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
                let rest = rest.strip_prefix(b"'").unwrap_or(rest);
                let len = rest
                    .iter()
                    .position(|&b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>'))
                    .unwrap_or(rest.len());
                if let Some(e) = Encoding::for_label(&rest[..len]) {
                    return Some(e);
                }
            }
        }
        from = end.max(start + 1);
    }
    None
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1251_from_the_header_the_meta_or_neither() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("Новости дня");
        assert_eq!(decode(&bytes, Some("windows-1251")), "Новости дня");
        let page = [
            b"<html><head><meta charset=\"windows-1251\"></head><body>".as_slice(),
            &bytes,
        ]
        .concat();
        assert!(
            decode(&page, None).ends_with("Новости дня"),
            "{}",
            decode(&page, None)
        );
        let page = [
            b"<meta http-equiv='Content-Type' content='text/html; charset=cp1251'>".as_slice(),
            &bytes,
        ]
        .concat();
        assert!(decode(&page, None).ends_with("Новости дня"));
    }

    #[test]
    fn a_bom_wins_and_utf8_is_the_default() {
        let page = [b"\xEF\xBB\xBF".as_slice(), "خبر".as_bytes()].concat();
        assert_eq!(decode(&page, Some("windows-1251")), "خبر");
        assert_eq!(decode("خبر".as_bytes(), None), "خبر");
        assert_eq!(decode(b"caf\xE9", None), "café");
    }

    #[test]
    fn content_type_parameters() {
        assert_eq!(charset_param("text/html; charset=\"UTF-8\""), Some("UTF-8"));
        assert_eq!(charset_param("text/html"), None);
    }
}
