//! The index as a file, so that a start-up reads it instead of analysing every article again.
//!
//! Layout (integers little-endian):
//!
//! ```text
//! magic "QUOTEBOT-INDEX\0\0"   16 bytes
//! format version              u32   (FORMAT)
//! analysis probe              u64   (a hash of how this build analyses a fixed text)
//! body                        articles (path relative to the folder, title, date, source,
//!                             language, sentence spans), sentence lengths, term
//!                             statistics, postings, stems, the surface words' map, FST and
//!                             deletion neighbourhoods, title terms, the generation, and the
//!                             caller's own bytes (the living corpus keeps its file stamps
//!                             there)
//! texts                       the number of articles, then each one's CRC-32 (u32), words'
//!                             fingerprint (u64) and text
//! body length                 u64
//! texts length                u64
//! CRC-32 of body and texts    u32
//! ```
//!
//! The texts are most of the file (1.35 of 1.75 GB at 10M sentences), and copying them into
//! memory most of the time a start took, while a question needs a few dozen: they have a
//! section of their own, which a second thread checks while the first reads the body, and
//! stay in the file until needed (see [`crate::corpus::text`]).
//!
//! Reading never trusts the file: every length is checked against what is left of it before
//! anything is allocated, the checksum is compared before the index is used, and every
//! offset, id and span is checked against what it points into (a span against its text's
//! length; that it falls on character boundaries, when the text is read), so that a
//! truncated, damaged, foreign or hand-made file is refused with a reason ([`Damage`])
//! instead of panicking later. Two checks wait until what they check is first used, because
//! at ten million sentences they took about a fifth of a start's CPU time for things most
//! questions never reach: a text's own CRC-32 and UTF-8 (see [`crate::corpus::text`]) and a
//! term's postings (that they decode, with sentence ids increasing and in range). What fails
//! is left out, and gives up on the file ([`TextFile::discard`]: removed, so that the next
//! start builds from the articles). Accidental damage is refused at the start all the same,
//! by the checksum; these two are what keeps a file made by hand, its checksum right, from
//! panicking a question.
//! What can be derived (sentence → article, the title lists per term, the mean sentence
//! length) is derived again rather than stored.

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

use super::{Index, Parts, TermInfo, sentence_ranges};
use crate::corpus::text::{Source, Text, TextFile};
use crate::corpus::{self, Article, Span};
use crate::date::Date;
use crate::search::deletions::Deletions;
use crate::search::strmap::{IdTable, StrMap};

const MAGIC: &[u8; 16] = b"QUOTEBOT-INDEX\0\0";

/// The layout's version: raise it whenever what is written changes.
pub const FORMAT: u32 = 2;

/// Why a file was not read as an index.
#[derive(Debug, thiserror::Error)]
pub enum Damage {
    /// Reading it failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// It does not start as an index file does.
    #[error("not a quotebot index file")]
    Foreign,
    /// Another version of quotebot wrote it, in another layout.
    #[error("written in format {found}; this quotebot reads format {FORMAT}")]
    Format {
        /// The version in the file.
        found: u32,
    },
    /// Another version of quotebot wrote it, which splits or analyses text differently.
    #[error("written by a quotebot that analyses text differently")]
    Analysis,
    /// It ends too early.
    #[error("truncated")]
    Truncated,
    /// Its checksum does not match its contents.
    #[error("damaged (checksum mismatch)")]
    Checksum,
    /// Its parts do not fit together.
    #[error("inconsistent ({0})")]
    Inconsistent(&'static str),
}

type Result<T> = std::result::Result<T, Damage>;

fn check(ok: bool, what: &'static str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Damage::Inconsistent(what))
    }
}

/// A hash of quotebot's version and of how this build turns a fixed text into sentences and
/// terms: a file written by another version, or by a build of this one that splits,
/// normalizes or stems this text differently, has another one, and is built again rather than
/// answering with terms the questions can no longer be analysed into. (A change of analysis
/// within one version that this text does not exercise is not noticed: raise [`FORMAT`].)
#[must_use]
pub fn analysis_probe() -> u64 {
    static PROBE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *PROBE.get_or_init(probe)
}

fn probe() -> u64 {
    use std::hash::Hasher;
    const TEXT: &str = "date 2024-09-30\n\n\
        The Minister's exports rose 12.5% in Q3, e.g. to St. Petersburg (Rasht–Astara line). \
        Running, ran, runs! «Экспорт зерна вырос на 12%», — сказал он. \
        صادرات گندم ۱۲ درصد افزایش یافت. Café naïve coöperation ﬁnance Ⅻ 東京.";
    let Ok((article, _)) = Article::parse(Path::new("probe-2024-09-30.txt"), TEXT.as_bytes())
    else {
        return 0;
    };
    let index = Index::build(vec![article]);
    let mut h = rustc_hash::FxHasher::default();
    // A release may change analysis in ways this text does not show (a stop word, a stemming
    // rule): another version's file is built again in any case.
    h.write(env!("CARGO_PKG_VERSION").as_bytes());
    for s in &index.articles[0].sentences {
        h.write_u32(s.start);
        h.write_u32(s.end);
    }
    for t in 0..index.terms.len() as u32 {
        h.write(index.stem_ids.key(t).as_bytes());
        h.write_u8(0xff);
        for (sid, tf) in index.postings(t) {
            h.write_u32(sid);
            h.write_u32(tf);
        }
    }
    for (word, term) in index.surface_ids.iter() {
        h.write(word.as_bytes());
        h.write_u32(term);
    }
    for &l in &index.sentence_len {
        h.write_u16(l);
    }
    h.finish()
}

/// A [`Read`] of the bytes `pos..end` of a [`Source`].
struct At<'a> {
    source: &'a dyn Source,
    pos: u64,
    end: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf
            .len()
            .min(usize::try_from(self.end - self.pos).unwrap_or(usize::MAX));
        self.source.read_exact_at(&mut buf[..n], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// A writer that counts and checksums what goes through it.
struct Out<W: Write> {
    w: W,
    crc: crc32fast::Hasher,
    len: u64,
}

impl<W: Write> Out<W> {
    fn bytes(&mut self, b: &[u8]) -> io::Result<()> {
        self.crc.update(b);
        self.len += b.len() as u64;
        self.w.write_all(b)
    }

    fn u8(&mut self, v: u8) -> io::Result<()> {
        self.bytes(&[v])
    }

    fn u32(&mut self, v: u32) -> io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    fn u64(&mut self, v: u64) -> io::Result<()> {
        self.bytes(&v.to_le_bytes())
    }

    /// A length, then the bytes.
    fn blob(&mut self, b: &[u8]) -> io::Result<()> {
        self.u64(b.len() as u64)?;
        self.bytes(b)
    }

    fn opt_str(&mut self, s: Option<&str>) -> io::Result<()> {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1)?;
                self.blob(s.as_bytes())
            }
        }
    }

    /// A count, then the values, `N` bytes each.
    fn array<const N: usize, T: Copy>(
        &mut self,
        values: &[T],
        le: impl Fn(T) -> [u8; N],
    ) -> io::Result<()> {
        self.u64(values.len() as u64)?;
        let mut buf = Vec::with_capacity(64 * 1024);
        for chunk in values.chunks(64 * 1024 / N) {
            buf.clear();
            for &v in chunk {
                buf.extend_from_slice(&le(v));
            }
            self.bytes(&buf)?;
        }
        Ok(())
    }
}

/// A reader of at most `left` bytes that checksums what it reads.
struct In<R: Read> {
    r: R,
    crc: crc32fast::Hasher,
    left: u64,
    /// Where [`In::array`] decodes: one buffer for the whole file, because a fresh (zeroed)
    /// one for each article's spans cost a sixth of a start.
    scratch: Vec<u8>,
}

impl<'a> In<io::BufReader<At<'a>>> {
    /// Reads the `len` bytes of `source` from `pos` on.
    fn at(source: &'a dyn Source, pos: u64, len: u64) -> Self {
        In {
            r: io::BufReader::with_capacity(
                1 << 20,
                At {
                    source,
                    pos,
                    end: pos + len,
                },
            ),
            crc: crc32fast::Hasher::new(),
            left: len,
            scratch: Vec::new(),
        }
    }
}

impl<R: io::BufRead> In<R> {
    /// Passes `n` bytes through the checksum without keeping them (from the reader's own
    /// buffer: no copy).
    fn skip(&mut self, mut n: u64) -> Result<()> {
        if n > self.left {
            return Err(Damage::Truncated);
        }
        while n > 0 {
            let buf = self.r.fill_buf().map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => Damage::Truncated,
                _ => Damage::Io(e),
            })?;
            if buf.is_empty() {
                return Err(Damage::Truncated);
            }
            let k = buf.len().min(usize::try_from(n).unwrap_or(usize::MAX));
            self.crc.update(&buf[..k]);
            self.r.consume(k);
            n -= k as u64;
            self.left -= k as u64;
        }
        Ok(())
    }
}

impl<R: Read> In<R> {
    fn exact(&mut self, buf: &mut [u8]) -> Result<()> {
        if buf.len() as u64 > self.left {
            return Err(Damage::Truncated);
        }
        self.r.read_exact(buf).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => Damage::Truncated,
            _ => Damage::Io(e),
        })?;
        self.crc.update(buf);
        self.left -= buf.len() as u64;
        Ok(())
    }

    fn u8(&mut self) -> Result<u8> {
        let mut b = [0u8; 1];
        self.exact(&mut b)?;
        Ok(b[0])
    }

    fn u32(&mut self) -> Result<u32> {
        let mut b = [0u8; 4];
        self.exact(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self) -> Result<u64> {
        let mut b = [0u8; 8];
        self.exact(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// A count of things of `size` bytes each that the rest of the file can hold.
    fn count(&mut self, size: u64) -> Result<usize> {
        let n = self.u64()?;
        if n.checked_mul(size).is_none_or(|bytes| bytes > self.left) {
            return Err(Damage::Truncated);
        }
        usize::try_from(n).map_err(|_| Damage::Truncated)
    }

    fn blob(&mut self) -> Result<Vec<u8>> {
        let n = self.count(1)?;
        // Zeroed by the allocator, which for a large one (the postings) maps zeroed pages:
        // `read_to_end` into spare capacity would zero it by hand first (`At` can't
        // implement `read_buf` on stable Rust).
        let mut v = vec![0u8; n];
        self.exact(&mut v)?;
        Ok(v)
    }

    fn string(&mut self) -> Result<String> {
        String::from_utf8(self.blob()?).map_err(|_| Damage::Inconsistent("text not UTF-8"))
    }

    fn opt_string(&mut self) -> Result<Option<String>> {
        match self.u8()? {
            0 => Ok(None),
            1 => self.string().map(Some),
            _ => Err(Damage::Inconsistent("optional text")),
        }
    }

    fn array<const N: usize, T>(&mut self, from: impl Fn([u8; N]) -> T) -> Result<Vec<T>> {
        let n = self.count(N as u64)?;
        let mut out = Vec::with_capacity(n);
        let mut buf = std::mem::take(&mut self.scratch);
        buf.resize((64 * 1024 / N) * N, 0);
        let mut left = n;
        while left > 0 {
            let take = left.min(buf.len() / N);
            let bytes = &mut buf[..take * N];
            self.exact(bytes)?;
            out.extend(
                bytes
                    .chunks_exact(N)
                    .map(|c| from(c.try_into().expect("chunks of N"))),
            );
            left -= take;
        }
        self.scratch = buf;
        Ok(out)
    }

    fn u32s(&mut self) -> Result<Vec<u32>> {
        self.array(u32::from_le_bytes)
    }
}

impl Index {
    /// Writes the index to `w`, with the article paths relative to `dir` and `extra` (the
    /// caller's own bytes, given back by [`Index::read_from`]). An article outside `dir`
    /// cannot be written: that is an error of kind `InvalidInput`.
    pub fn write_to(&self, dir: &Path, extra: &[u8], w: impl Write) -> io::Result<()> {
        let mut w = Out {
            w,
            crc: crc32fast::Hasher::new(),
            len: 0,
        };
        w.w.write_all(MAGIC)?;
        w.w.write_all(&FORMAT.to_le_bytes())?;
        w.w.write_all(&analysis_probe().to_le_bytes())?;

        w.u64(self.articles.len() as u64)?;
        for a in &self.articles {
            let path = a
                .path
                .strip_prefix(dir)
                .ok()
                .and_then(corpus::path_bytes)
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("{} is not in {}", a.path.display(), dir.display()),
                    )
                })?;
            w.blob(path)?;
            w.blob(a.title.as_bytes())?;
            match a.date {
                None => w.u8(0)?,
                Some(d) => {
                    w.u8(1)?;
                    w.u32(d.year() as u32)?;
                    w.u8(d.month() as u8)?;
                    w.u8(d.day() as u8)?;
                }
            }
            w.opt_str(a.source.as_deref())?;
            w.opt_str(a.lang.as_deref())?;
            w.array(&a.sentences, |s: Span| {
                let mut b = [0u8; 8];
                b[..4].copy_from_slice(&s.start.to_le_bytes());
                b[4..].copy_from_slice(&s.end.to_le_bytes());
                b
            })?;
        }
        w.array(&self.sentence_len, u16::to_le_bytes)?;
        w.array(&self.terms, |t: TermInfo| {
            let mut b = [0u8; 8];
            b[..4].copy_from_slice(&t.df.to_le_bytes());
            b[4..].copy_from_slice(&t.article_df.to_le_bytes());
            b
        })?;
        w.array(&self.postings_offsets, |o: usize| (o as u64).to_le_bytes())?;
        w.blob(&self.postings)?;
        let (keys, starts) = self.stem_ids.keys();
        w.blob(keys.as_bytes())?;
        w.array(starts, u32::to_le_bytes)?;
        w.blob(self.surfaces.as_fst().as_bytes())?;
        w.u64((self.surface_ids.slot_count() * StrMap::RAW_SLOT) as u64)?;
        for slot in self.surface_ids.raw_slots() {
            w.bytes(&slot)?;
        }
        w.blob(self.surface_ids.arena())?;
        let (buckets, low, slots) = self.deletions.parts();
        w.array(buckets, u32::to_le_bytes)?;
        w.array(low, u16::to_le_bytes)?;
        w.array(slots, u32::to_le_bytes)?;
        for t in &self.titles {
            w.array(t, u32::to_le_bytes)?;
        }
        w.u64(self.generation)?;
        w.blob(extra)?;

        let body = w.len;
        w.u64(self.articles.len() as u64)?;
        for a in &self.articles {
            a.text.write_with(|text| {
                w.u32(crc32fast::hash(text.as_bytes()))?;
                w.u64(a.text.words())?;
                w.blob(text.as_bytes())
            })?;
        }
        let (len, crc) = (w.len, w.crc.finalize());
        w.w.write_all(&body.to_le_bytes())?;
        w.w.write_all(&(len - body).to_le_bytes())?;
        w.w.write_all(&crc.to_le_bytes())?;
        w.w.flush()
    }

    /// Reads an index [`Index::write_to`] wrote to `file`, `len` bytes in all, its article
    /// paths joined to `dir`; returns it with the caller's bytes. The texts section passes
    /// through the checksum on a second thread meanwhile; the texts stay in `file` until they
    /// are needed.
    pub fn read_from(dir: &Path, file: &Arc<TextFile>, len: u64) -> Result<(Index, Vec<u8>)> {
        let source = file.source();
        let mut head = [0u8; HEAD as usize];
        source
            .read_exact_at(&mut head, 0)
            .map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => Damage::Foreign,
                _ => Damage::Io(e),
            })?;
        if &head[..16] != MAGIC {
            return Err(Damage::Foreign);
        }
        let found = u32::from_le_bytes(head[16..20].try_into().expect("4 bytes"));
        if found != FORMAT {
            return Err(Damage::Format { found });
        }
        let probe = u64::from_le_bytes(head[20..28].try_into().expect("8 bytes"));
        if probe != analysis_probe() {
            return Err(Damage::Analysis);
        }
        let sections = len.checked_sub(HEAD + TAIL).ok_or(Damage::Truncated)?;
        let mut tail = [0u8; TAIL as usize];
        source
            .read_exact_at(&mut tail, HEAD + sections)
            .map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => Damage::Truncated,
                _ => Damage::Io(e),
            })?;
        let body = u64::from_le_bytes(tail[..8].try_into().expect("8 bytes"));
        let texts = u64::from_le_bytes(tail[8..16].try_into().expect("8 bytes"));
        let stored_crc = u32::from_le_bytes(tail[16..].try_into().expect("4 bytes"));
        if body.checked_add(texts) != Some(sections) {
            return Err(Damage::Truncated);
        }
        let (index, extra, crc) = std::thread::scope(|s| {
            let reading = s.spawn(|| read_texts(In::at(source, HEAD + body, texts), HEAD + body));
            let texts = || {
                reading
                    .join()
                    .expect("reading the texts section does not panic")
            };
            read_body(dir, &mut In::at(source, HEAD, body), file, texts)
        })?;
        if crc.finalize() != stored_crc {
            return Err(Damage::Checksum);
        }
        Ok((index, extra))
    }
}

const HEAD: u64 = 16 + 4 + 8;
const TAIL: u64 = 8 + 8 + 4;

/// Where a text is in the file: offset, length, CRC-32 and words' fingerprint.
type TextAt = (u64, usize, u32, u64);

/// Walks the texts section, which starts at `start`, through the checksum: returns where each
/// text is, with its CRC-32 and words' fingerprint, and the section's checksum. Each text's own
/// CRC-32 and UTF-8 are checked when it is read ([`Text::as_str`]): the section's checksum
/// already refuses accidental damage, and checking 1.35 GB of text twice more was a third of
/// this thread's time at 10M sentences.
fn read_texts<R: io::BufRead>(
    mut r: In<R>,
    start: u64,
) -> Result<(Vec<TextAt>, crc32fast::Hasher)> {
    let total = r.left;
    // The shortest text written takes 20 bytes.
    let n = r.count(20)?;
    // Grown as they come rather than trusted: a damaged count must not reserve gigabytes.
    let mut texts = Vec::with_capacity(n.min(1 << 20));
    for _ in 0..n {
        let crc = r.u32()?;
        let words = r.u64()?;
        let len = r.count(1)?;
        let offset = start + (total - r.left);
        r.skip(len as u64)?;
        texts.push((offset, len, crc, words));
    }
    if r.left != 0 {
        return Err(Damage::Inconsistent("bytes after the texts"));
    }
    Ok((texts, r.crc))
}

/// What the body says of an article: all but its text.
struct Head {
    path: std::path::PathBuf,
    title: String,
    date: Option<Date>,
    source: Option<String>,
    lang: Option<String>,
    sentences: Vec<Span>,
}

/// Reads the body, then takes the texts from `texts` (read meanwhile) to make the articles;
/// returns the index, the caller's bytes, and the checksum of body and texts.
fn read_body<R: Read>(
    dir: &Path,
    r: &mut In<R>,
    file: &Arc<TextFile>,
    texts: impl FnOnce() -> Result<(Vec<TextAt>, crc32fast::Hasher)>,
) -> Result<(Index, Vec<u8>, crc32fast::Hasher)> {
    // The smallest article written takes 27 bytes: a count the rest of the file cannot hold
    // is refused before anything is reserved for it.
    let n_articles = r.count(27)?;
    check(n_articles < u32::MAX as usize, "too many articles")?;
    // At most a million reserved on trust: a damaged count must not reserve gigabytes.
    let mut heads = Vec::with_capacity(n_articles.min(1 << 20));
    let mut sentences: u64 = 0;
    for _ in 0..n_articles {
        let path = corpus::joined(
            dir,
            &corpus::path_from_bytes(r.blob()?).ok_or(Damage::Inconsistent("path"))?,
        );
        let title = r.string()?;
        let date = match r.u8()? {
            0 => None,
            1 => {
                let year = r.u32()? as i32;
                let (month, day) = (r.u8()?, r.u8()?);
                Some(
                    Date::new(year, u32::from(month), u32::from(day))
                        .ok_or(Damage::Inconsistent("date"))?,
                )
            }
            _ => return Err(Damage::Inconsistent("date")),
        };
        let source = r.opt_string()?;
        let lang = r.opt_string()?;
        let spans: Vec<Span> = r.array(|b: [u8; 8]| {
            Span::new(
                u32::from_le_bytes(b[..4].try_into().expect("4 bytes")) as usize,
                u32::from_le_bytes(b[4..].try_into().expect("4 bytes")) as usize,
            )
        })?;
        sentences += spans.len() as u64;
        check(sentences < u64::from(u32::MAX), "too many sentences")?;
        heads.push(Head {
            path,
            title,
            date,
            source,
            lang,
            sentences: spans,
        });
    }
    // Rebuilding and the sentence ids rely on the tie order, each path once.
    check(
        heads.windows(2).all(|w| {
            super::build::tie_order_of((w[0].date, &w[0].path), (w[1].date, &w[1].path))
                == std::cmp::Ordering::Less
        }),
        "article order",
    )?;
    let n_sentences = sentences as usize;
    let (first_sentence, sentence_article) =
        sentence_ranges(heads.iter().map(|a| a.sentences.len()));

    let sentence_len: Vec<u16> = r.array(u16::from_le_bytes)?;
    check(sentence_len.len() == n_sentences, "sentence lengths")?;
    let terms: Vec<TermInfo> = r.array(|b: [u8; 8]| TermInfo {
        df: u32::from_le_bytes(b[..4].try_into().expect("4 bytes")),
        article_df: u32::from_le_bytes(b[4..].try_into().expect("4 bytes")),
    })?;
    let n_terms = terms.len();
    check(n_terms < u32::MAX as usize, "too many terms")?;
    let offsets: Vec<u64> = r.array(u64::from_le_bytes)?;
    let postings = r.blob()?;
    check(
        offsets.len() == n_terms + 1
            && offsets.first() == Some(&0)
            && offsets.last() == Some(&(postings.len() as u64))
            && offsets.windows(2).all(|w| w[0] <= w[1]),
        "postings offsets",
    )?;
    let postings_offsets: Vec<usize> = offsets.into_iter().map(|o| o as usize).collect();
    // Each term's postings are checked the first time they are walked.
    let checked = Some(super::postings::Checked::none(n_terms, file));

    let keys = String::from_utf8(r.blob()?).map_err(|_| Damage::Inconsistent("stems"))?;
    let stem_ids = IdTable::from_keys(keys, r.u32s()?).ok_or(Damage::Inconsistent("stem table"))?;
    check(stem_ids.len() == n_terms, "stem count")?;
    let fst_bytes = r.blob()?;
    let raw = r.blob()?;
    let arena = r.blob()?;
    let surface_ids = StrMap::from_raw(&raw, arena, n_terms as u32)
        .ok_or(Damage::Inconsistent("surface word map"))?;
    drop(raw);
    let surfaces = surface_fst(fst_bytes, &surface_ids)?;
    let deletions = Deletions::from_parts(
        r.u32s()?,
        r.array(u16::from_le_bytes)?,
        r.u32s()?,
        &surface_ids,
    )
    .ok_or(Damage::Inconsistent("deletion neighbourhoods"))?;
    let mut titles = Vec::with_capacity(n_articles);
    for _ in 0..n_articles {
        let t = r.u32s()?;
        check(t.iter().all(|&t| (t as usize) < n_terms), "title term")?;
        titles.push(t);
    }
    let _written = r.u64()?;
    let extra = r.blob()?;
    if r.left != 0 {
        return Err(Damage::Inconsistent("bytes after the end"));
    }

    let (texts, texts_crc) = texts()?;
    check(texts.len() == n_articles, "texts")?;
    let mut articles = Vec::with_capacity(n_articles);
    for (head, (offset, len, crc, words)) in heads.into_iter().zip(texts) {
        // That spans fall on character boundaries is left to `Article::sentence`: the texts
        // are not in memory.
        check(
            head.sentences
                .iter()
                .all(|s| s.start <= s.end && (s.end as usize) <= len),
            "sentence span",
        )?;
        let text = Text::stored(file, offset, len, crc, words);
        articles.push(Arc::new(Article {
            title: head.title,
            date: head.date,
            source: head.source,
            lang: head.lang,
            path: head.path,
            text,
            sentences: head.sentences,
        }));
    }
    // The generation is made again rather than trusted: sentence ids are only meaningful
    // with the right one.
    Ok((
        Index::from_parts(Parts {
            articles,
            first_sentence,
            sentence_article,
            sentence_len,
            terms,
            postings_offsets,
            postings,
            checked,
            stem_ids,
            surfaces,
            surface_ids,
            deletions,
            titles,
        }),
        extra,
        {
            let mut crc = r.crc.clone();
            crc.combine(&texts_crc);
            crc
        },
    ))
}

/// The FST of the surface words, if its own checksum holds and it holds exactly the words of
/// `surface_ids`, each with its term. The `fst` crate panics on some damaged FSTs instead of
/// failing, so walking it runs where a panic is caught (this needs `panic = "unwind"`, the
/// default); after both checksums only a file made by hand gets there, and the walk stops at
/// the first word too many, so a small FST that spells billions of words cannot hold it up.
fn surface_fst(bytes: Vec<u8>, surface_ids: &StrMap) -> Result<fst::Map<Vec<u8>>> {
    const BAD: Damage = Damage::Inconsistent("surface words FST");
    let surfaces = fst::Map::new(bytes).map_err(|_| BAD)?;
    surfaces.as_fst().verify().map_err(|_| BAD)?;
    let walk = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        use fst::Streamer;
        let mut all = surfaces.stream();
        let mut n = 0;
        while let Some((word, term)) = all.next() {
            n += 1;
            let same = std::str::from_utf8(word)
                .ok()
                .and_then(|w| surface_ids.get(w))
                .is_some_and(|t| u64::from(t) == term);
            if n > surface_ids.len() || !same {
                return false;
            }
        }
        n == surface_ids.len()
    }));
    match walk {
        Ok(true) => Ok(surfaces),
        _ => Err(BAD),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{article, assert_same};
    use super::super::{SentenceId, TermId};
    use super::*;
    use crate::search::Model;
    use std::path::PathBuf;

    fn sample() -> Index {
        let mut a = article(
            "dir/2024-09-30-Grain-exports.md",
            "date 2024-09-30\nsource https://example.com/grain\nlang en\n\n\
             # Grain\n\nWheat exports rose by **12%** in September. Exporters were pleased. \
             Прибыль выросла. افزایش صادرات گندم.",
        );
        a.path = PathBuf::from("dir/sub/2024-09-30-Grain-exports.md");
        let mut articles = vec![a];
        for i in 0..30 {
            articles.push(article(
                &format!("dir/{i:02}.txt"),
                &format!(
                    "date 2024-01-{:02} Wheat and barley number {i}. The harvest{} was late. \
                     Longwordsthatneedthearenaforsure{i} appear too.",
                    1 + i % 28,
                    i % 5
                ),
            ));
        }
        articles.push(article("dir/undated.txt", "No date here, only oil."));
        Index::build(articles)
    }

    fn bytes_of(index: &Index) -> Vec<u8> {
        let mut out = Vec::new();
        index
            .write_to(Path::new("dir"), b"caller's bytes", &mut out)
            .unwrap();
        out
    }

    fn read(bytes: &[u8]) -> Result<(Index, Vec<u8>)> {
        read_claiming(bytes, bytes.len())
    }

    /// Reads `bytes` as a file that says it is `len` bytes long.
    fn read_claiming(bytes: &[u8], len: usize) -> Result<(Index, Vec<u8>)> {
        let file = TextFile::new(Box::new(bytes.to_vec()), PathBuf::from("dir/index"));
        Index::read_from(Path::new("dir"), &file, len as u64)
    }

    /// Runs a few questions, typos included, to walk postings, titles and the vocabulary.
    fn answers(index: &Index) -> Vec<Vec<(SentenceId, u32)>> {
        let config = crate::config::SearchConfig::default();
        [
            "wheat exports",
            "harvest late",
            "barley numbr",
            "прибыль",
            "گندم",
            "grain oil",
        ]
        .iter()
        .map(|q| {
            let words = index.analyze_question(q, &config);
            index
                .search(&words, 10, &Model::default())
                .into_iter()
                .map(|h| (h.sentence, h.score.to_bits()))
                .collect()
        })
        .collect()
    }

    #[test]
    fn an_index_reads_back_as_it_was_written() {
        let index = sample();
        let (back, extra) = read(&bytes_of(&index)).unwrap();
        assert_eq!(extra, b"caller's bytes");
        assert_same(&back, &index);
        for (x, y) in back.articles.iter().zip(&index.articles) {
            assert_eq!(
                (&x.title, x.date, &x.source, &x.lang, &x.text, &x.sentences),
                (&y.title, y.date, &y.source, &y.lang, &y.text, &y.sentences)
            );
        }
        assert_eq!(back.sentence_article, index.sentence_article);
        assert_eq!(back.title_offsets, index.title_offsets);
        assert_eq!(back.title_articles, index.title_articles);
        assert_eq!(back.avg_sentence_len, index.avg_sentence_len);
        for (word, term) in index.surface_ids.iter() {
            assert_eq!(back.surface_ids.get(word), Some(term), "{word}");
            assert_eq!(
                back.surface_ids.slot_of(word),
                index.surface_ids.slot_of(word)
            );
        }
        let want = answers(&index);
        assert!(want.iter().all(|a| !a.is_empty()), "{want:?}");
        assert_eq!(answers(&back), want);
    }

    /// The texts stay in the file until a question needs them; one changed there after the
    /// start (by hand: quotebot renames a new file over it) is left out of answers.
    #[test]
    fn texts_are_read_when_needed_and_a_changed_one_is_left_out() {
        struct Shared(std::sync::Mutex<Vec<u8>>);
        impl Source for Shared {
            fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
                self.0.lock().unwrap().read_exact_at(buf, offset)
            }
        }
        let bytes = bytes_of(&sample());
        let shared = Arc::new(Shared(std::sync::Mutex::new(bytes.clone())));
        struct Handle(Arc<Shared>);
        impl Source for Handle {
            fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
                self.0.read_exact_at(buf, offset)
            }
        }
        let file = TextFile::new(
            Box::new(Handle(Arc::clone(&shared))),
            PathBuf::from("dir/index"),
        );
        let (index, _) = Index::read_from(Path::new("dir"), &file, bytes.len() as u64).unwrap();
        assert!(index.articles.iter().all(|a| !a.text.is_in_memory()));
        let config = crate::config::SearchConfig::default();
        let words = index.analyze_question("barley harvest", &config);
        let hits = index.search(&words, 5, &Model::default());
        assert!(!hits.is_empty());
        let first = index.sentence_text(hits[0].sentence).to_string();
        assert!(
            first.contains("arley") || first.contains("harvest"),
            "{first}"
        );
        let read = index
            .articles
            .iter()
            .filter(|a| a.text.is_in_memory())
            .count();
        assert_eq!(read, 1, "only the quoted article's text is read");

        // Change the text of the Russian-and-Persian article (the first) in the file.
        let at = bytes
            .windows("Прибыль".len())
            .position(|w| w == "Прибыль".as_bytes())
            .unwrap();
        shared.0.lock().unwrap()[at] ^= 1;
        let a = &index.articles[0];
        assert!(!a.text.is_in_memory());
        assert_eq!(a.sentence(0), "");
        assert!(
            (0..a.sentences.len()).all(|i| a.sentence(i).is_empty()),
            "a changed text is left out whole"
        );
        let words = index.analyze_question("wheat exports", &config);
        let _ = index.search(&words, 10, &Model::default());
        // The others still read.
        assert!(index.articles[1].sentence(0).contains("Wheat"));
    }

    #[test]
    fn an_empty_index_reads_back() {
        let index = Index::build(Vec::new());
        let (back, _) = read(&bytes_of(&index)).unwrap();
        assert_eq!(back.sentence_count(), 0);
        assert!(back.term_of_stem("wheat").is_none());
    }

    #[test]
    fn an_article_outside_the_folder_is_not_written() {
        let index = sample();
        let err = index
            .write_to(Path::new("elsewhere"), b"", &mut Vec::new())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    /// About 1,500 places spread over a file of `len` bytes, with every one of its first and
    /// last 100 (the header, the first article, the trailer). Every byte would be better,
    /// but the deletion buckets alone are 256 KB.
    fn places(len: usize) -> impl Iterator<Item = usize> {
        let step = (len / 1_300).max(1);
        (0..len).filter(move |&i| i < 100 || i + 100 >= len || i % step == 0)
    }

    #[test]
    fn truncations_are_refused() {
        let bytes = bytes_of(&sample());
        for len in places(bytes.len()) {
            // As a shorter file, and as the right length that ends early.
            assert!(read(&bytes[..len]).is_err(), "cut at {len}");
            assert!(
                read_claiming(&bytes[..len], bytes.len()).is_err(),
                "cut at {len}, length as before"
            );
        }
    }

    /// The checksum covers the index and the texts as one run of bytes, so a trailer that
    /// moves the boundary between them keeps it right: each part must then be refused by
    /// its own reader, one ending early, the other starting in the wrong place.
    #[test]
    fn a_moved_boundary_between_the_parts_is_refused() {
        let bytes = bytes_of(&sample());
        let end = bytes.len() - 20;
        let body = u64::from_le_bytes(bytes[end..end + 8].try_into().unwrap());
        let texts = u64::from_le_bytes(bytes[end + 8..end + 16].try_into().unwrap());
        for shift in [1i64, -1, 7, -8, 100, -100, 1000, -1000] {
            let (Some(b), Some(t)) = (
                body.checked_add_signed(shift),
                texts.checked_add_signed(-shift),
            ) else {
                continue;
            };
            let mut bad = bytes.clone();
            bad[end..end + 8].copy_from_slice(&b.to_le_bytes());
            bad[end + 8..end + 16].copy_from_slice(&t.to_le_bytes());
            assert!(read(&bad).is_err(), "boundary moved by {shift}");
        }
    }

    #[test]
    fn flipped_bytes_are_refused() {
        let bytes = bytes_of(&sample());
        for i in places(bytes.len()) {
            let mut bad = bytes.clone();
            bad[i] ^= 0x5a;
            assert!(read(&bad).is_err(), "byte {i}");
        }
    }

    /// Makes each text's own CRC-32 match its bytes again, as far as the texts section still
    /// parses.
    fn forge_text_crcs(bytes: &mut [u8]) {
        let u64_at = |b: &[u8], at: usize| -> Option<usize> {
            let v = u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?);
            usize::try_from(v).ok()
        };
        let end = bytes.len() - 20;
        let Some(mut at) = u64_at(bytes, end).and_then(|body| body.checked_add(28)) else {
            return;
        };
        let Some(n) = u64_at(bytes, at).filter(|_| at < end) else {
            return;
        };
        at += 8;
        for _ in 0..n {
            let Some(len) = u64_at(bytes, at + 12) else {
                return;
            };
            let Some(text) = (at + 20).checked_add(len).filter(|&e| e <= end) else {
                return;
            };
            let crc = crc32fast::hash(&bytes[at + 20..text]);
            bytes[at..at + 4].copy_from_slice(&crc.to_le_bytes());
            at = text;
        }
    }

    /// A damaged file whose checksum was made to match (by hand, or by a bug in a writer) is
    /// refused by the consistency checks, or reads into an index that answers without
    /// panicking.
    #[test]
    fn damage_behind_a_matching_checksum_never_panics() {
        let bytes = bytes_of(&sample());
        let body = 28..bytes.len() - 20;
        let mut refused = 0;
        for i in places(bytes.len()).filter(|i| body.contains(i)) {
            for flip in [0x01u8, 0xff] {
                let mut bad = bytes.clone();
                bad[i] ^= flip;
                forge_text_crcs(&mut bad);
                let crc = crc32fast::hash(&bad[body.clone()]);
                let end = bad.len();
                bad[end - 4..].copy_from_slice(&crc.to_le_bytes());
                match read(&bad) {
                    Err(_) => refused += 1,
                    Ok((index, _)) => {
                        // Every term's postings, each checked as it is first walked.
                        for t in 0..index.terms.len() as TermId {
                            let _ = index.postings(t).count();
                        }
                        let _ = answers(&index);
                        for sid in 0..index.sentence_count() as SentenceId {
                            let _ = index.sentence_text(sid);
                        }
                        // What a start does next when files changed.
                        let gone: std::collections::HashSet<PathBuf> = index
                            .articles
                            .iter()
                            .take(1)
                            .map(|a| a.path.clone())
                            .collect();
                        let added = vec![article("dir/new.txt", "date 2024-02-02 Wheat news.")];
                        let _ = answers(&index.rebuild(&gone, added));
                        let _ = index.write_to(Path::new("dir"), b"", &mut Vec::new());
                    }
                }
            }
        }
        assert!(refused > 0);
    }

    /// Postings are checked when a term is first walked, not at the start: a file made by
    /// hand (its checksum right) whose postings for one term run past their end or past the
    /// last sentence reads, that term has no postings, and the others are as written.
    #[test]
    fn damaged_postings_are_left_out_when_first_walked() {
        let index = sample();
        let wheat = index.term_of_stem("wheat").unwrap();
        let barley = index.term_of_stem("barley").unwrap();
        let range = |i: &Index, t: TermId| {
            i.postings_offsets[t as usize]..i.postings_offsets[t as usize + 1]
        };
        let sentences = index.sentence_count() as u32;
        // A varint cut short, and a first sentence past the last one.
        let mut cut = sample();
        let end = range(&cut, wheat).end;
        cut.postings[end - 1] |= 0x80;
        let mut beyond = sample();
        let r = range(&beyond, wheat);
        assert!(r.len() >= 2 && sentences < 8191);
        // 0xfe 0x7f: the varint 16382, sentence 8191 with one occurrence.
        beyond.postings[r.start] = 0xfe;
        beyond.postings[r.start + 1] = 0x7f;
        for bad in [cut, beyond] {
            let (back, _) = read(&bytes_of(&bad)).unwrap();
            assert!(!back.holds_discarded());
            assert_eq!(back.postings(wheat).count(), 0);
            assert!(back.holds_discarded(), "the file is given up on");
            let checked = back.checked.as_ref().unwrap();
            assert!(!checked.passes(
                wheat as usize,
                &back.postings[range(&back, wheat)],
                sentences as usize
            ));
            assert_eq!(
                back.postings(barley).collect::<Vec<_>>(),
                index.postings(barley).collect::<Vec<_>>()
            );
            let _ = answers(&back);
        }
        // Well-formed postings read as written, and the built index checks nothing.
        assert!(index.checked.is_none());
        let (back, _) = read(&bytes_of(&index)).unwrap();
        assert_eq!(
            back.postings(wheat).collect::<Vec<_>>(),
            index.postings(wheat).collect::<Vec<_>>()
        );
        assert!(!back.holds_discarded());
    }

    /// Rebuilding and the sentence ids need the articles in the tie order, each once: a file
    /// (made by hand, its checksum right) with two swapped or one twice is refused.
    #[test]
    fn articles_out_of_order_or_twice_are_refused() {
        let mut swapped = sample();
        swapped.articles.swap(0, 1);
        assert!(matches!(
            read(&bytes_of(&swapped)),
            Err(Damage::Inconsistent("article order"))
        ));
        let mut twice = sample();
        twice.articles[2] = Arc::clone(&twice.articles[1]);
        assert!(matches!(
            read(&bytes_of(&twice)),
            Err(Damage::Inconsistent("article order"))
        ));
    }

    #[test]
    fn foreign_files_say_why() {
        let bytes = bytes_of(&sample());
        assert!(matches!(read(b""), Err(Damage::Foreign)));
        assert!(matches!(
            read(b"hello, world, this is a text file"),
            Err(Damage::Foreign)
        ));
        let mut other = bytes.clone();
        other[16..20].copy_from_slice(&(FORMAT + 1).to_le_bytes());
        assert!(matches!(read(&other), Err(Damage::Format { found }) if found == FORMAT + 1));
        let mut analysed = bytes.clone();
        analysed[20] ^= 1;
        assert!(matches!(read(&analysed), Err(Damage::Analysis)));
        let mut trailing = bytes;
        trailing.push(0);
        assert!(read(&trailing).is_err());
    }
}
