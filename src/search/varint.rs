//! LEB128 varints, the unit of the postings lists ([`super::index`]) and of the pruning data
//! beside them ([`super::impacts`]): seven bits a byte, the high bit set on all but the last.

/// Appends `v` to `out`.
#[inline]
pub fn write(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads the varint at `*pos`, moving `*pos` past it.
#[inline]
pub fn read(bytes: &[u8], pos: &mut usize) -> u32 {
    let mut v = 0u32;
    let mut shift = 0;
    loop {
        let b = bytes[*pos];
        *pos += 1;
        v |= u32::from(b & 0x7f) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let values = [0, 1, 127, 128, 300, 16_383, 16_384, u32::MAX];
        let mut out = Vec::new();
        for v in values {
            write(&mut out, v);
        }
        let mut pos = 0;
        for v in values {
            assert_eq!(read(&out, &mut pos), v);
        }
        assert_eq!(pos, out.len());
    }
}
