//! Markdown articles → plain article text, before sentence splitting.
//!
//! Headings and list items become paragraphs of their own (so each is its own sentence), and
//! inline markup is dropped (`*`, `_`, `` ` ``, `[text](url)` → `text`), so that quotes read
//! like prose. The result is the article's text: quotes are exact excerpts of it.

/// Converts the body of a `.md` file to plain text.
#[must_use]
pub fn to_text(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut fence: Option<&str> = None;
    for line in md.lines() {
        let t = line.trim_start();
        if let Some(marker) = fence {
            if t.starts_with(marker) {
                fence = None;
                boundary(&mut out);
            } else {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = Some(&t[..3]);
            boundary(&mut out);
            continue;
        }
        if is_rule(t) {
            // A thematic break, or the underline of a setext heading: either way a boundary.
            boundary(&mut out);
            continue;
        }
        if let Some(h) = atx_heading(t) {
            boundary(&mut out);
            inline(h, &mut out);
            boundary(&mut out);
            continue;
        }
        let (t, item) = block_prefixes(t);
        if item {
            boundary(&mut out);
        }
        if t.trim().is_empty() {
            boundary(&mut out);
            continue;
        }
        inline(t, &mut out);
        out.push('\n');
    }
    out
}

/// Ends the current paragraph: the text so far ends with a blank line.
fn boundary(out: &mut String) {
    if out.is_empty() || out.ends_with("\n\n") {
        return;
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
}

fn is_rule(t: &str) -> bool {
    let t = t.trim_end();
    let Some(c) = t.chars().next() else {
        return false;
    };
    matches!(c, '=' | '-' | '*' | '_')
        && t.chars().filter(|&x| x == c).count() >= 3
        && t.chars().all(|x| x == c || x == ' ')
}

fn atx_heading(t: &str) -> Option<&str> {
    let level = t.bytes().take_while(|&b| b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &t[level..];
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some(rest.trim().trim_end_matches('#').trim_end())
}

/// Strips blockquote markers and a list marker; says whether the line starts a list item.
fn block_prefixes(mut t: &str) -> (&str, bool) {
    while let Some(rest) = t.strip_prefix('>') {
        t = rest.trim_start();
    }
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = t.strip_prefix(marker) {
            return (rest.trim_start(), true);
        }
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &t[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return (r.trim_start(), true);
        }
    }
    (t, false)
}

/// Appends `s` without inline markup.
fn inline(s: &str, out: &mut String) {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        match c {
            '\\' if at(i + 1).is_some_and(|n| n.is_ascii_punctuation()) => {
                out.push(chars[i + 1].1);
                i += 2;
            }
            '`' => {
                // A code span: its text verbatim, without the backticks.
                let ticks = chars[i..].iter().take_while(|&&(_, c)| c == '`').count();
                let open_end = i + ticks;
                let close = (open_end..chars.len()).find(|&j| {
                    chars[j..].iter().take_while(|&&(_, c)| c == '`').count() == ticks
                        && (j == 0 || chars[j - 1].1 != '`')
                });
                match close {
                    Some(j) => {
                        let (a, b) = (chars[open_end.min(j)].0, chars[j].0);
                        out.push_str(s[a..b].trim());
                        i = j + ticks;
                    }
                    None => {
                        out.push_str(&s[pos..chars.get(open_end).map_or(s.len(), |x| x.0)]);
                        i = open_end;
                    }
                }
            }
            '!' if at(i + 1) == Some('[') => {
                // An image: its alt text.
                match link_at(s, &chars, i + 1) {
                    Some((text, next)) => {
                        inline(text, out);
                        i = next;
                    }
                    None => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            '[' => match link_at(s, &chars, i) {
                Some((text, next)) => {
                    inline(text, out);
                    i = next;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            },
            '<' if s[pos..].starts_with("<http") => match s[pos..].find('>') {
                Some(end) => {
                    out.push_str(&s[pos + 1..pos + end]);
                    let stop = pos + end + 1;
                    i = chars
                        .iter()
                        .position(|&(p, _)| p >= stop)
                        .unwrap_or(chars.len());
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            },
            '*' | '_' => {
                let run = chars[i..].iter().take_while(|&&(_, x)| x == c).count();
                let prev = i.checked_sub(1).and_then(at);
                let next = at(i + run);
                if is_emphasis(prev, next) {
                    i += run;
                } else {
                    for _ in 0..run {
                        out.push(c);
                    }
                    i += run;
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// Whether a run of `*` or `_` between `prev` and `next` opens or closes emphasis.
fn is_emphasis(prev: Option<char>, next: Option<char>) -> bool {
    let space = |x: Option<char>| x.is_none_or(char::is_whitespace);
    if space(prev) && space(next) {
        return false;
    }
    let alnum = |x: Option<char>| x.is_some_and(char::is_alphanumeric);
    if alnum(prev) && alnum(next) {
        // `snake_case` and `2*3` are text; `foo*bar*` emphasis inside a word is rare in news.
        return false;
    }
    true
}

/// A link `[text](url)` or `[text][ref]` starting at `chars[i] == '['`: its text and the
/// index after it.
fn link_at<'a>(s: &'a str, chars: &[(usize, char)], i: usize) -> Option<(&'a str, usize)> {
    let mut depth = 0;
    let mut close = None;
    for (j, &(_, c)) in chars.iter().enumerate().skip(i) {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(j);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close?;
    let text = &s[chars[i].0 + 1..chars[close].0];
    let (open, shut) = match chars.get(close + 1)?.1 {
        '(' => ('(', ')'),
        '[' => ('[', ']'),
        _ => return None,
    };
    let mut depth = 0;
    for (j, &(_, c)) in chars.iter().enumerate().skip(close + 1) {
        if c == open {
            depth += 1;
        } else if c == shut {
            depth -= 1;
            if depth == 0 {
                return Some((text, j + 1));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_and_list_items_are_paragraphs() {
        let md = "# Grain deal\nIran and Russia *agreed*.\n## Details\n- first point\n- second point\nSetext\n---\nEnd.";
        assert_eq!(
            to_text(md),
            "Grain deal\n\nIran and Russia agreed.\n\nDetails\n\nfirst point\n\nsecond point\nSetext\n\nEnd.\n"
        );
    }

    #[test]
    fn inline_markup_is_dropped() {
        let md =
            "A **bold** and _em_ claim, `code`, [a link](https://x.org/a_(b)) and ![alt](i.png).";
        assert_eq!(to_text(md), "A bold and em claim, code, a link and alt.\n");
        assert_eq!(
            to_text("snake_case and 2 * 3 and \\*stars\\*"),
            "snake_case and 2 * 3 and *stars*\n"
        );
        assert_eq!(
            to_text("see <https://example.com> now"),
            "see https://example.com now\n"
        );
        assert_eq!(to_text("[ref link][1] here"), "ref link here\n");
    }

    #[test]
    fn code_fences_keep_their_text_as_a_paragraph() {
        assert_eq!(
            to_text("Before.\n```\nlet x = 1;\n```\nAfter."),
            "Before.\n\nlet x = 1;\n\nAfter.\n"
        );
    }

    #[test]
    fn blockquotes_lose_their_marker() {
        assert_eq!(
            to_text("> He said *this*.\n> And that."),
            "He said this.\nAnd that.\n"
        );
    }
}
