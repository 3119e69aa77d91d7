//! A string → `u32` hash map for the vocabulary, built for the indexer's hot loop: every word
//! of a million-sentence corpus is looked up in it.
//!
//! Open addressing with linear probing over 32-byte slots that hold the key itself when it is
//! short (most words are), so that a look-up touches one cache line instead of following a
//! pointer to the key; longer keys live in one arena. A general-purpose map of boxed strings
//! spent most of its time on those pointer chases and on comparing keys.

use std::hash::Hasher;

use rustc_hash::FxHasher;

/// Keys up to this many bytes are stored in the slot.
const INLINE: usize = 22;
const EMPTY: u8 = u8::MAX;

#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    hash: u32,
    value: u32,
    /// Key length in bytes, `EMPTY` for a free slot, `INLINE + 1` for a key in the arena.
    len: u8,
    /// The key (inline), or its arena offset and length as two little-endian `u32`s.
    key: [u8; INLINE + 1],
}

const FREE: Slot = Slot {
    hash: 0,
    value: 0,
    len: EMPTY,
    key: [0; INLINE + 1],
};

/// A map from strings to `u32`.
#[derive(Clone)]
pub struct StrMap {
    slots: Vec<Slot>,
    arena: Vec<u8>,
    len: usize,
}

impl Default for StrMap {
    fn default() -> Self {
        StrMap::with_capacity(0)
    }
}

impl std::fmt::Debug for StrMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StrMap").field("len", &self.len).finish()
    }
}

/// The hash a key is stored under.
#[inline]
#[must_use]
pub fn hash(key: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(key);
    h.write_u8(0xff);
    h.finish()
}

impl StrMap {
    /// A map with room for `n` keys before it grows.
    #[must_use]
    pub fn with_capacity(n: usize) -> StrMap {
        // Room for `n` below the load at which it grows (5/8).
        let slots = (n * 8 / 5 + 1).next_power_of_two().max(16);
        StrMap {
            slots: vec![FREE; slots],
            arena: Vec::new(),
            len: 0,
        }
    }

    /// How many keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has no keys.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn key_of<'a>(&'a self, slot: &'a Slot) -> &'a [u8] {
        if usize::from(slot.len) <= INLINE {
            &slot.key[..usize::from(slot.len)]
        } else {
            let off = u32::from_le_bytes([slot.key[0], slot.key[1], slot.key[2], slot.key[3]]);
            let len = u32::from_le_bytes([slot.key[4], slot.key[5], slot.key[6], slot.key[7]]);
            &self.arena[off as usize..(off + len) as usize]
        }
    }

    /// The slot of `key`: where it is, or the free slot where it would go.
    #[inline]
    fn find(&self, key: &[u8], h: u64) -> usize {
        let mask = self.slots.len() - 1;
        let short = (h >> 32) as u32;
        let mut i = h as usize & mask;
        loop {
            let slot = &self.slots[i];
            if slot.len == EMPTY {
                return i;
            }
            if slot.hash == short
                && (usize::from(slot.len) == key.len() || usize::from(slot.len) == INLINE + 1)
                && self.key_of(slot) == key
            {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// The value of `key`.
    #[inline]
    #[must_use]
    pub fn get(&self, key: &str) -> Option<u32> {
        self.get_hashed(key, hash(key.as_bytes()))
    }

    /// The value of `key`, whose [`hash`] is `h`.
    #[inline]
    #[must_use]
    pub fn get_hashed(&self, key: &str, h: u64) -> Option<u32> {
        let i = self.find(key.as_bytes(), h);
        let slot = &self.slots[i];
        (slot.len != EMPTY).then_some(slot.value)
    }

    /// Reads the first slot a key of hash `h` would be in, so that a look-up soon after finds
    /// it in the cache: touching the slots of a sentence's words one after the other lets
    /// the processor wait for all of them at once instead of for each in turn.
    #[inline]
    #[must_use]
    pub fn touch(&self, h: u64) -> u8 {
        self.slots[h as usize & (self.slots.len() - 1)].len
    }

    /// The value of `key`, inserting `make()` first if it is missing.
    #[inline]
    pub fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> u32) -> u32 {
        let bytes = key.as_bytes();
        let h = hash(bytes);
        let i = self.find(bytes, h);
        if self.slots[i].len != EMPTY {
            return self.slots[i].value;
        }
        let value = make();
        self.put(i, bytes, h, value);
        value
    }

    /// Sets `key` to `value`.
    pub fn insert(&mut self, key: &str, value: u32) {
        let bytes = key.as_bytes();
        let h = hash(bytes);
        let i = self.find(bytes, h);
        if self.slots[i].len != EMPTY {
            self.slots[i].value = value;
        } else {
            self.put(i, bytes, h, value);
        }
    }

    fn put(&mut self, i: usize, key: &[u8], h: u64, value: u32) {
        let mut slot = Slot {
            hash: (h >> 32) as u32,
            value,
            len: 0,
            key: [0; INLINE + 1],
        };
        if key.len() <= INLINE {
            slot.len = key.len() as u8;
            slot.key[..key.len()].copy_from_slice(key);
        } else {
            slot.len = (INLINE + 1) as u8;
            let off = self.arena.len() as u32;
            self.arena.extend_from_slice(key);
            slot.key[..4].copy_from_slice(&off.to_le_bytes());
            slot.key[4..8].copy_from_slice(&(key.len() as u32).to_le_bytes());
        }
        self.slots[i] = slot;
        self.len += 1;
        if self.len * 8 > self.slots.len() * 5 {
            self.grow();
        }
    }

    fn grow(&mut self) {
        let bigger = vec![FREE; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, bigger);
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.len != EMPTY) {
            let key = self.key_of(&slot);
            let h = hash(key);
            let mut i = h as usize & mask;
            while self.slots[i].len != EMPTY {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// The slot of `key`: a number below [`StrMap::slot_count`] that names it as long as
    /// nothing is inserted.
    #[inline]
    #[must_use]
    pub fn slot_of(&self, key: &str) -> Option<u32> {
        let i = self.find(key.as_bytes(), hash(key.as_bytes()));
        (self.slots[i].len != EMPTY).then_some(i as u32)
    }

    /// The key in a slot named by [`StrMap::slot_of`] or [`StrMap::iter_slots`].
    #[inline]
    #[must_use]
    pub fn key_at(&self, slot: u32) -> &str {
        std::str::from_utf8(self.key_of(&self.slots[slot as usize])).expect("keys are str")
    }

    /// The value in a slot.
    #[inline]
    #[must_use]
    pub fn value_at(&self, slot: u32) -> u32 {
        self.slots[slot as usize].value
    }

    /// How many slots (keys and free ones).
    #[must_use]
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Every key with its slot and value, in slot order.
    pub fn iter_slots(&self) -> impl Iterator<Item = (u32, &str, u32)> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.len != EMPTY)
            .map(|(i, s)| {
                let key = std::str::from_utf8(self.key_of(s)).expect("keys are inserted as str");
                (i as u32, key, s.value)
            })
    }

    /// Every key with its value, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        self.slots.iter().filter(|s| s.len != EMPTY).map(|s| {
            let key = std::str::from_utf8(self.key_of(s)).expect("keys are inserted as str");
            (key, s.value)
        })
    }

    /// Bytes of memory it takes.
    #[must_use]
    pub fn memory(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>() + self.arena.capacity()
    }

    /// Size of a slot in [`StrMap::raw_slots`].
    pub const RAW_SLOT: usize = 32;

    /// The slots as bytes ([`StrMap::RAW_SLOT`] each: hash, value, length, key), for storing
    /// the map exactly as it is: slot numbers ([`StrMap::slot_of`]) stay valid.
    pub fn raw_slots(&self) -> impl Iterator<Item = [u8; Self::RAW_SLOT]> + '_ {
        self.slots.iter().map(|s| {
            let mut out = [0u8; Self::RAW_SLOT];
            out[..4].copy_from_slice(&s.hash.to_le_bytes());
            out[4..8].copy_from_slice(&s.value.to_le_bytes());
            out[8] = s.len;
            out[9..].copy_from_slice(&s.key);
            out
        })
    }

    /// Whether a slot holds a key.
    #[must_use]
    pub fn is_occupied(&self, slot: u32) -> bool {
        self.slots
            .get(slot as usize)
            .is_some_and(|s| s.len != EMPTY)
    }

    /// The arena of long keys, for storing the map.
    #[must_use]
    pub fn arena(&self) -> &[u8] {
        &self.arena
    }

    /// The map [`StrMap::raw_slots`] and [`StrMap::arena`] were taken from, if they make one:
    /// a power-of-two number of slots with a free one among them, lengths and arena ranges
    /// in bounds, keys UTF-8, and values below `values`. Anything else is `None`: a look-up
    /// in it could fail to end, or panic.
    #[must_use]
    pub fn from_raw(raw: &[u8], arena: Vec<u8>, values: u32) -> Option<StrMap> {
        if !raw.len().is_multiple_of(Self::RAW_SLOT) {
            return None;
        }
        let n = raw.len() / Self::RAW_SLOT;
        if n < 16 || !n.is_power_of_two() {
            return None;
        }
        let mut map = StrMap {
            slots: Vec::with_capacity(n),
            arena,
            len: 0,
        };
        for r in raw.chunks_exact(Self::RAW_SLOT) {
            let mut slot = Slot {
                hash: u32::from_le_bytes([r[0], r[1], r[2], r[3]]),
                value: u32::from_le_bytes([r[4], r[5], r[6], r[7]]),
                len: r[8],
                key: [0; INLINE + 1],
            };
            slot.key.copy_from_slice(&r[9..]);
            if slot.len == EMPTY {
                // Whatever else it holds, a free slot is free.
                slot = FREE;
            } else {
                if usize::from(slot.len) > INLINE + 1 || slot.value >= values {
                    return None;
                }
                if usize::from(slot.len) == INLINE + 1 {
                    let off =
                        u32::from_le_bytes([slot.key[0], slot.key[1], slot.key[2], slot.key[3]]);
                    let len =
                        u32::from_le_bytes([slot.key[4], slot.key[5], slot.key[6], slot.key[7]]);
                    let end = u64::from(off) + u64::from(len);
                    if end > map.arena.len() as u64 || end > u64::from(u32::MAX) {
                        return None;
                    }
                }
                std::str::from_utf8(map.key_of(&slot)).ok()?;
                map.len += 1;
            }
            map.slots.push(slot);
        }
        (map.len < n).then_some(map)
    }
}

/// A compact map from strings to dense ids `0, 1, 2…` in the order they were first inserted:
/// the keys one after another in one string, and a hash table of `(hash, id)`. A third of the
/// memory of a [`StrMap`] for the stems, which are looked up far less often than words.
#[derive(Clone, Default)]
pub struct IdTable {
    /// `(high 32 bits of the hash, id + 1)`; 0 marks a free slot.
    slots: Vec<(u32, u32)>,
    keys: String,
    /// Start of each key in `keys`, plus the end.
    starts: Vec<u32>,
}

impl std::fmt::Debug for IdTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdTable").field("len", &self.len()).finish()
    }
}

impl IdTable {
    /// How many keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Whether it has no keys.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key of `id`.
    #[must_use]
    pub fn key(&self, id: u32) -> &str {
        &self.keys[self.starts[id as usize] as usize..self.starts[id as usize + 1] as usize]
    }

    /// The slot where `key` is or would go.
    fn find(&self, key: &str, h: u64) -> usize {
        let mask = self.slots.len() - 1;
        let short = (h >> 32) as u32;
        let mut i = h as usize & mask;
        loop {
            let (hash, id) = self.slots[i];
            if id == 0 || (hash == short && self.key(id - 1) == key) {
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    /// The id of `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let (_, id) = self.slots[self.find(key, hash(key.as_bytes()))];
        id.checked_sub(1)
    }

    /// The id of `key`, given the next id if it is new.
    pub fn get_or_insert(&mut self, key: &str) -> u32 {
        if self.starts.is_empty() {
            self.starts.push(0);
        }
        if (self.len() + 1) * 8 > self.slots.len() * 5 {
            self.grow();
        }
        let h = hash(key.as_bytes());
        let i = self.find(key, h);
        if let Some(id) = self.slots[i].1.checked_sub(1) {
            return id;
        }
        let id = self.len() as u32;
        self.keys.push_str(key);
        self.starts.push(self.keys.len() as u32);
        self.slots[i] = ((h >> 32) as u32, id + 1);
        id
    }

    fn grow(&mut self) {
        self.rehash((self.slots.len() * 2).max(16));
    }

    /// Files every key again in `size` slots (a power of two).
    fn rehash(&mut self, size: usize) {
        self.slots = vec![(0, 0); size];
        let mask = size - 1;
        for id in 0..self.len() as u32 {
            let h = hash(self.key(id).as_bytes());
            let mut i = h as usize & mask;
            while self.slots[i].1 != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = ((h >> 32) as u32, id + 1);
        }
    }

    /// Bytes of memory it takes.
    #[must_use]
    pub fn memory(&self) -> usize {
        self.slots.len() * 8 + self.keys.capacity() + self.starts.capacity() * 4
    }

    /// The keys one after another, and where each starts (plus the end): all a table is,
    /// for storing it.
    #[must_use]
    pub fn keys(&self) -> (&str, &[u32]) {
        (&self.keys, &self.starts)
    }

    /// The table of the keys [`IdTable::keys`] gave, if `starts` fits `keys` (from 0 to its
    /// end, never going back, on character boundaries).
    #[must_use]
    pub fn from_keys(keys: String, starts: Vec<u32>) -> Option<IdTable> {
        let fits = starts.is_empty() && keys.is_empty()
            || starts.first() == Some(&0)
                && starts.last().is_some_and(|&e| e as usize == keys.len())
                && starts.windows(2).all(|w| w[0] <= w[1])
                && starts.iter().all(|&i| keys.is_char_boundary(i as usize));
        if !fits {
            return None;
        }
        let mut table = IdTable {
            slots: Vec::new(),
            keys,
            starts,
        };
        if !table.is_empty() {
            // Below the load at which `get_or_insert` grows it.
            table.rehash((table.len() * 8 / 5 + 1).next_power_of_two().max(16));
        }
        Some(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_and_finds_short_and_long_keys() {
        let mut m = StrMap::default();
        let long = "a".repeat(100);
        let words: Vec<String> = (0..10_000)
            .map(|i| format!("w{i}"))
            .chain([long.clone(), String::new(), "é漢字".into()])
            .collect();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(m.get_or_insert_with(w, || i as u32), i as u32);
        }
        assert_eq!(m.len(), words.len());
        for (i, w) in words.iter().enumerate() {
            assert_eq!(m.get(w), Some(i as u32), "{w}");
            assert_eq!(m.get_or_insert_with(w, || unreachable!()), i as u32);
        }
        assert_eq!(m.get("w10000"), None);
        assert_eq!(m.get(&"a".repeat(99)), None);
        m.insert(&long, 7);
        assert_eq!(m.get(&long), Some(7));
        let mut all: Vec<(&str, u32)> = m.iter().collect();
        all.sort_unstable();
        assert_eq!(all.len(), words.len());
    }

    #[test]
    fn id_table_numbers_keys_in_order() {
        let mut t = IdTable::default();
        assert_eq!(t.get("a"), None);
        let words: Vec<String> = (0..5_000).map(|i| format!("stem{i}")).collect();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(t.get_or_insert(w), i as u32);
        }
        for (i, w) in words.iter().enumerate() {
            assert_eq!(t.get_or_insert(w), i as u32);
            assert_eq!(t.get(w), Some(i as u32));
            assert_eq!(t.key(i as u32), w);
        }
        assert_eq!(t.len(), words.len());
        assert_eq!(t.get("nope"), None);
    }

    #[test]
    fn keys_of_the_inline_limit_and_just_over() {
        let mut m = StrMap::default();
        let at = "x".repeat(INLINE);
        let over = "x".repeat(INLINE + 1);
        m.insert(&at, 1);
        m.insert(&over, 2);
        assert_eq!((m.get(&at), m.get(&over)), (Some(1), Some(2)));
    }
}
