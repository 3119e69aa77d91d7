//! Markdown articles → plain article text, before sentence splitting.
//!
//! The Markdown is read by `pulldown-cmark` (CommonMark, no extensions), whose parser takes
//! time linear in its input for nested brackets, runs of backticks and the other inputs that
//! made Markdown readers quadratic (issue 11; `examples/markdown_adversarial.rs` measures
//! them). The events are turned into text by these rules, so that quotes read like prose:
//!
//! - Paragraphs, headings, list items, code blocks and HTML blocks are paragraphs of their own,
//!   separated by a blank line (so each ends a sentence); a thematic break is a boundary too.
//!   Line breaks inside a paragraph stay line breaks (the sentence splitter reads them as spaces).
//! - Inline markup is dropped (`*`, `_`, `` ` ``, backslash escapes); HTML entities are decoded.
//! - Links keep their text (`[text](url)` → `text`); an autolink `<https://…>` is its address.
//!   A reference link whose label is not defined (`[text][ref]`, `[text][]`) still counts as a
//!   link, but a lone `[text]` without a definition stays as written: news quotes put editorial
//!   insertions in brackets (`he [the minister] said`).
//! - Images are their alt text (`![alt](i.png)` → `alt`), which is all a reader would see of them
//!   in a quote.
//! - Code spans and code blocks keep their text as written.
//! - Raw HTML: inline tags and comments are dropped (the text between them is Markdown and
//!   stays); an HTML block keeps its text without the tags, with the common entities decoded,
//!   and a `<script>` or `<style>` block is dropped whole.
//! - Link reference definitions (`[1]: https://…`) are not text.
//!
//! One cheap pass first bounds the parser's cost ([`parser_work`]). `pulldown-cmark` is linear
//! on those inputs but heavy on dense markup — about 50 bytes of tree and 0.1 µs for
//! each `[`, `*` or line, so a 1 MiB run of `[` took 65 MB — and it is not linear in nesting:
//! each line is checked against every block quote and list item it sits in, so a line of half
//! a million `>` followed by half a megabyte of lines of text took more than a minute. An
//! article whose estimated work passes [`WORK_BUDGET`] is therefore kept as plain text, as if
//! it were a `.txt` file (its markup then shows in quotes). Ordinary articles are far below it:
//! even 1 MiB of prose in 10-byte lines comes to 210,000 of the 262,144.
//!
//! The result is the article's text: quotes are exact excerpts of it.

use pulldown_cmark::{BrokenLink, CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// How much parser work an article may take, in tree nodes (see [`parser_work`]): at most
/// a few tens of milliseconds and megabytes.
pub const WORK_BUDGET: usize = 1 << 18;

/// Converts the body of a `.md` file to plain text.
#[must_use]
pub fn to_text(md: &str) -> String {
    if parser_work(md) > WORK_BUDGET {
        return plain(md);
    }
    let mut out = Plain::with_capacity(md.len());
    // `Some(…)` for any undefined reference makes `[text][ref]` a link; see the module doc for
    // why a lone `[text]` is not.
    let undefined = |link: BrokenLink<'_>| {
        matches!(link.link_type, LinkType::Reference | LinkType::Collapsed)
            .then_some((CowStr::Borrowed(""), CowStr::Borrowed("")))
    };
    let parser = Parser::new_with_broken_link_callback(md, Options::empty(), Some(undefined));
    // The text of the HTML block being read: its tags may span the lines it arrives in.
    let mut html: Option<String> = None;
    for event in parser {
        match event {
            Event::Start(Tag::HtmlBlock) => {
                out.boundary();
                html = Some(String::new());
            }
            Event::End(TagEnd::HtmlBlock) => {
                if let Some(block) = html.take() {
                    push_html_block(&block, &mut out);
                }
                out.boundary();
            }
            Event::Html(h) => match html.as_mut() {
                Some(block) => block.push_str(&h),
                None => push_html_block(&h, &mut out),
            },
            Event::Start(tag) if !is_inline(&tag) => out.boundary(),
            Event::End(tag) if !is_inline_end(tag) => out.boundary(),
            Event::Text(t) | Event::Code(t) => out.push(&t),
            Event::SoftBreak | Event::HardBreak => out.push("\n"),
            Event::Rule => out.boundary(),
            // Inline HTML is one tag or comment: markup, not text. The rest needs options we
            // do not enable (math, footnotes, task lists).
            _ => {}
        }
    }
    out.finish()
}

/// An upper estimate of the work `pulldown-cmark` does for `md`, in tree nodes: one for each
/// byte its inline scanner stops at, two for each line and for each container (block quote,
/// list item) a line opens, and, because every line is checked against every open container,
/// the deepest nesting times the lines, at a 32nd of a node each (a check costs a few
/// nanoseconds where a node costs about a hundred). One pass, no allocation.
#[must_use]
pub fn parser_work(md: &str) -> usize {
    // The bytes pulldown-cmark's inline scanner stops at, with no extensions enabled.
    const SPECIAL: [bool; 256] = {
        let mut t = [false; 256];
        let bytes = b"*_&\\[]<!`";
        let mut i = 0;
        while i < bytes.len() {
            t[bytes[i] as usize] = true;
            i += 1;
        }
        t
    };
    let (mut nodes, mut lines, mut deepest) = (0usize, 0usize, 0usize);
    for line in md.as_bytes().split(|&b| b == b'\n' || b == b'\r') {
        let (markers, depth) = containers(line);
        deepest = deepest.max(depth);
        lines += 1;
        nodes += 2 + 2 * markers + line.iter().filter(|&&b| SPECIAL[b as usize]).count();
    }
    nodes.saturating_add(deepest.saturating_mul(lines) / 32)
}

/// The container markers (`>`, list markers) at the start of a line, and at least as many
/// containers as the line can be inside: one for each marker, and one for every two columns
/// of indentation (a list item's content is indented by at least two: its marker and a space).
fn containers(line: &[u8]) -> (usize, usize) {
    let (mut containers, mut columns, mut i) = (0, 0usize, 0);
    while i < line.len() {
        let marker_end = |j: usize| j >= line.len() || matches!(line[j], b' ' | b'\t');
        match line[i] {
            b' ' => columns += 1,
            b'\t' => columns += 4,
            b'>' => containers += 1,
            b'-' | b'*' | b'+' if marker_end(i + 1) => containers += 1,
            b'0'..=b'9' => {
                let digits = line[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                let j = i + digits;
                if digits > 9
                    || j >= line.len()
                    || !matches!(line[j], b'.' | b')')
                    || !marker_end(j + 1)
                {
                    break;
                }
                containers += 1;
                i = j;
            }
            _ => break,
        }
        i += 1;
    }
    (containers, containers + columns.div_ceil(2))
}

/// An article over the work budget: its text as written, with the line ending the rest have.
fn plain(md: &str) -> String {
    let mut text = md.trim_end().to_owned();
    if !text.is_empty() {
        text.push('\n');
    }
    text
}

/// Whether a tag is inline markup, whose text flows on in the paragraph around it.
fn is_inline(tag: &Tag<'_>) -> bool {
    matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

/// [`is_inline`] for the end of a tag.
fn is_inline_end(tag: TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// The text being built, with a paragraph boundary that is written only when more text
/// follows, so that the text neither starts nor ends with blank lines.
struct Plain {
    text: String,
    boundary: bool,
}

impl Plain {
    fn with_capacity(n: usize) -> Plain {
        Plain {
            text: String::with_capacity(n),
            boundary: false,
        }
    }

    /// Ends the current paragraph.
    fn boundary(&mut self) {
        self.boundary = !self.text.is_empty();
    }

    fn push(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if std::mem::take(&mut self.boundary) && !self.text.ends_with("\n\n") {
            self.text.push_str(if self.text.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            });
        }
        self.text.push_str(s);
    }

    /// The text, ending with one line break.
    fn finish(mut self) -> String {
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
        self.text
    }
}

/// Appends the text of a raw HTML block, line by line: a line left blank once its tags are
/// gone is a paragraph boundary, as the tags around it (`<div>`, `</p>`) usually were.
fn push_html_block(html: &str, out: &mut Plain) {
    for line in html_text(html).lines() {
        let line = line.trim();
        if line.is_empty() {
            out.boundary();
        } else {
            out.push(line);
            out.push("\n");
        }
    }
}

/// The text of raw HTML: tags and comments dropped, entities decoded, nothing of a script or
/// style. One pass: each `<` looks for its end once, and when there is none, no later `<` can
/// have one either.
fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let head = html.trim_start().as_bytes();
    let starts =
        |tag: &[u8]| head.len() >= tag.len() && head[..tag.len()].eq_ignore_ascii_case(tag);
    if starts(b"<script") || starts(b"<style") {
        return out;
    }
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        push_decoded(&rest[..i], &mut out);
        let after = &rest[i + 1..];
        let (end, skip) = if after.starts_with("!--") {
            (after.find("-->"), 3)
        } else if after.starts_with(|c: char| c.is_ascii_alphabetic() || "/!?".contains(c)) {
            (after.find('>'), 1)
        } else {
            out.push('<');
            rest = after;
            continue;
        };
        match end {
            Some(j) => rest = &after[j + skip..],
            None => {
                // An unclosed tag: the rest is text after all.
                push_decoded(&rest[i..], &mut out);
                return out;
            }
        }
    }
    push_decoded(rest, &mut out);
    out
}

/// Appends `s` with the entities an HTML block commonly holds decoded (`&amp;`, `&nbsp;`,
/// `&#8217;`, `&#x2019;`…); any other `&` is kept as written.
fn push_decoded(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        // Entity names are short: looking no further than 10 bytes keeps this linear.
        let semi = after.bytes().take(10).position(|b| b == b';');
        match semi.and_then(|j| Some((j, entity(&after[..j])?))) {
            Some((j, c)) => {
                out.push(c);
                rest = &after[j + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// The character an entity name (between `&` and `;`) stands for, for the common names and
/// every numeric reference.
fn entity(name: &str) -> Option<char> {
    let code = if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
        u32::from_str_radix(hex, 16).ok()?
    } else if let Some(dec) = name.strip_prefix('#') {
        dec.parse().ok()?
    } else {
        return Some(match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => '\u{a0}',
            "ndash" => '–',
            "mdash" => '—',
            "hellip" => '…',
            "lsquo" => '‘',
            "rsquo" => '’',
            "ldquo" => '“',
            "rdquo" => '”',
            "laquo" => '«',
            "raquo" => '»',
            _ => return None,
        });
    };
    // As CommonMark does: NUL and what is not a character become U+FFFD.
    Some(
        char::from_u32(code)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{fffd}'),
    )
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
        assert_eq!(
            to_text("Setext heading\n===\nText.\n\n1. one\n2) two\n   - nested"),
            "Setext heading\n\nText.\n\none\n\ntwo\n\nnested\n"
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
    fn references_and_brackets() {
        assert_eq!(
            to_text("See [the deal][d] and [this][].\n\n[d]: https://x.org/d \"Deal\""),
            "See the deal and this.\n"
        );
        // An editorial insertion is not a link, even though it looks like a shortcut one.
        assert_eq!(
            to_text("He [the minister] said [sic] no."),
            "He [the minister] said [sic] no.\n"
        );
    }

    #[test]
    fn code_fences_keep_their_text_as_a_paragraph() {
        assert_eq!(
            to_text("Before.\n```\nlet x = 1;\n```\nAfter."),
            "Before.\n\nlet x = 1;\n\nAfter.\n"
        );
        assert_eq!(
            to_text("Before.\n~~~rust\na *b*\n\nc\n~~~\n"),
            "Before.\n\na *b*\n\nc\n"
        );
    }

    #[test]
    fn blockquotes_lose_their_marker() {
        assert_eq!(
            to_text("> He said *this*.\n> And that."),
            "He said this.\nAnd that.\n"
        );
    }

    #[test]
    fn line_breaks_stay_and_blank_lines_are_boundaries() {
        assert_eq!(
            to_text("One line\nand the next,  \nhard.\n\n\n\nNew paragraph."),
            "One line\nand the next,\nhard.\n\nNew paragraph.\n"
        );
        assert_eq!(to_text(""), "");
        assert_eq!(to_text("\n\n  \n"), "");
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            to_text("AT&amp;T &lt;b&gt; &copy; &#8217; &#x41; &nosuch; & fish &#0;"),
            "AT&T <b> © ’ A &nosuch; & fish \u{fffd}\n"
        );
        assert_eq!(to_text("# Q&amp;A\n`&amp;`"), "Q&A\n\n&amp;\n");
    }

    #[test]
    fn nested_emphasis_is_dropped() {
        assert_eq!(
            to_text("***Very** important* and *_both_* and __*x*__ and *a **b** c*."),
            "Very important and both and x and a b c.\n"
        );
        assert_eq!(to_text("*a _b *c __d__ c* b_ a*"), "a b c d c b a\n");
        // Where a `*` between two `_` can both open and close, CommonMark pairs it with the
        // `*` before: odd, but what every CommonMark reader shows.
        assert_eq!(to_text("*_*_*_deep_*_*_*"), "_deep_\n");
        // Unmatched delimiters are text.
        assert_eq!(to_text("a *b and c_ d"), "a *b and c_ d\n");
    }

    #[test]
    fn nested_links_keep_their_innermost_text() {
        // CommonMark: a link cannot contain a link, so only the innermost is one; the outer
        // brackets and destinations are text.
        assert_eq!(to_text("[[[a](u)](v)](w)"), "[[a](v)](w)\n");
        assert_eq!(to_text("[see [a](u) here](v)"), "[see a here](v)\n");
        assert_eq!(
            to_text("[**bold** link](u) and [`code`](v)"),
            "bold link and code\n"
        );
    }

    #[test]
    fn images_are_their_alt_text() {
        assert_eq!(
            to_text("![A *grain* ship](ship.jpg) left."),
            "A grain ship left.\n"
        );
        assert_eq!(to_text("Before ![](empty.png) after."), "Before  after.\n");
        // An image may hold images and links: their text is the alt text.
        assert_eq!(to_text("![![a](u) b](v)"), "a b\n");
        assert_eq!(to_text("[![logo](l.png)](https://x.org)"), "logo\n");
    }

    #[test]
    fn raw_html_loses_its_tags() {
        assert_eq!(
            to_text("He said <b>no</b>.<br> <!-- note -->Done."),
            "He said no. Done.\n"
        );
        assert_eq!(
            to_text(
                "Before.\n\n<div class=\"x\">\nInside &amp; <i>out</i>, 5 < 6.\n</div>\n\nAfter."
            ),
            "Before.\n\nInside & out, 5 < 6.\n\nAfter.\n"
        );
        assert_eq!(
            to_text("<script>\nvar x = 1;\n</script>\n\nText."),
            "Text.\n"
        );
        assert_eq!(to_text("<!--\ngone > here\n-->\nText."), "Text.\n");
        assert_eq!(to_text("<div>\na <b\n"), "a <b\n");
    }

    #[test]
    fn adversarial_input_is_read_quickly_and_sanely() {
        let n = 100_000;
        // Unmatched openers are text, kept as written.
        assert_eq!(to_text(&"[".repeat(n)).trim_end(), "[".repeat(n));
        // A line of three or more backticks opens a code block (empty here); inside a line,
        // an unclosed run is text.
        assert_eq!(to_text(&"`".repeat(n)), "");
        let ticks = "x ".to_owned() + &"`".repeat(n);
        assert_eq!(to_text(&ticks).trim_end(), ticks);
        let runs: String = (1..300).map(|k| "`".repeat(k) + "a").collect();
        assert_eq!(to_text(&runs).trim_end(), runs);
        // Nested links: the innermost is the link, the rest is text.
        let k = n / 5;
        let nested = "[".repeat(k) + "a" + &"](u)".repeat(k);
        let want = "[".repeat(k - 1) + "a" + &"](u)".repeat(k - 1);
        assert_eq!(to_text(&nested).trim_end(), want);
        // Nested images: all of it is alt text.
        let images = "![".repeat(k) + "a" + &"](u)".repeat(k);
        assert_eq!(to_text(&images), "a\n");
        // Nested emphasis is dropped however deep.
        let em = "*a _a ".repeat(k) + "b" + &" a_ a*".repeat(k);
        assert_eq!(
            to_text(&em),
            "a ".repeat(2 * k) + "b" + &" a".repeat(2 * k) + "\n"
        );
        let em = "*_".repeat(k) + "a" + &"_*".repeat(k);
        let text = to_text(&em);
        assert!(text.contains('a') && text.len() <= em.len(), "{text}");
        // Many lines and blocks.
        let lines = "Grain up.\n".repeat(k);
        assert_eq!(to_text(&lines), lines);
        assert_eq!(
            to_text(&"- a\n".repeat(k)),
            "a\n\n".repeat(k).trim_end().to_owned() + "\n"
        );
    }

    #[test]
    fn work_estimates() {
        assert_eq!(containers(b"plain text"), (0, 0));
        assert_eq!(containers(b"> > - 1. item"), (4, 4 + 2));
        assert_eq!(containers(b"    - nested"), (1, 1 + 3));
        assert_eq!(containers(b"-----"), (0, 0));
        assert_eq!(containers(b"2024. A year"), (1, 2));
        assert_eq!(containers(b"1234567890. no"), (0, 0));
        assert_eq!(containers(b"-"), (1, 1));
        // Ordinary articles are far below the budget, even 1 MiB in short lines.
        let prose = "Iran and Russia agreed on a grain deal, [officials](u) said.\n";
        assert!(parser_work(&prose.repeat(1000)) < WORK_BUDGET / 50);
        let lines = "Grain up.\n".repeat(104_857);
        assert!(parser_work(&lines) < WORK_BUDGET, "{}", parser_work(&lines));
        // Dense markup and deep nesting are not.
        assert!(parser_work(&"[".repeat(WORK_BUDGET)) > WORK_BUDGET);
        let deep = ">".repeat(10_000) + " a\n" + &"b\n".repeat(1_000);
        assert!(parser_work(&deep) > WORK_BUDGET, "{}", parser_work(&deep));
        let indented: String = (0..300).map(|i| " ".repeat(2 * i) + "- a\n").collect();
        let indented = indented + &"b\n".repeat(30_000);
        assert!(
            parser_work(&indented) > WORK_BUDGET,
            "{}",
            parser_work(&indented)
        );
    }

    #[test]
    fn articles_over_the_work_budget_are_plain_text() {
        // Minutes of pulldown-cmark: every lazy line is checked against 200,000 block quotes.
        let deep = ">".repeat(200_000) + " a *b*\n" + &"c\n".repeat(100_000);
        assert_eq!(to_text(&deep), deep);
        let items = "- a\n".repeat(WORK_BUDGET / 4);
        assert_eq!(to_text(&items), items);
        let brackets = "[".repeat(2 * WORK_BUDGET) + "\n\n";
        assert_eq!(to_text(&brackets), brackets.trim_end().to_owned() + "\n");
        // Under the budget, Markdown as usual.
        let items = "- a\n".repeat(WORK_BUDGET / 8);
        assert_eq!(
            to_text(&items),
            "a\n\n".repeat(WORK_BUDGET / 8).trim_end().to_owned() + "\n"
        );
    }
}
