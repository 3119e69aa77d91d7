//! Edit distance between words: a leaf that the typo look-ups (`deletions`, `fuzzy`) and the
//! second stage's features share, so that none of them depends on another for it.

/// Whether `a` and `b` are within one edit (a swap counting one).
#[must_use]
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (la, lb) = (a.chars().count(), b.chars().count());
    la.abs_diff(lb) <= 1 && strsim::osa_distance(a, b) <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_check() {
        assert!(within_one_edit("abot", "about"));
        assert!(within_one_edit("wat", "what"));
        assert!(within_one_edit("teh", "the"));
        assert!(!within_one_edit("grain", "gren"));
        assert!(!within_one_edit("export", "expert1"));
    }
}
