//! "did you mean `X`?" for unknown keywords: the closest keyword of the same
//! block by edit distance, if it is close enough to be a plausible typo.

/// Levenshtein distance, two rows, bounded input (keywords are short).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().take(64).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word`, if within a third of its length (at least 1,
/// at most 3 edits). Ties go to the first candidate, so list common keywords first.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let d = distance(word, c);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_typos_are_suggested() {
        let kws = ["priority", "interface", "virtual_router_id", "advert_int"];
        assert_eq!(did_you_mean("priorty", &kws), Some("priority"));
        assert_eq!(did_you_mean("interfaces", &kws), Some("interface"));
        assert_eq!(
            did_you_mean("virtual_routerid", &kws),
            Some("virtual_router_id")
        );
        assert_eq!(did_you_mean("completely_different", &kws), None);
        assert_eq!(did_you_mean("", &kws), None);
    }
}
