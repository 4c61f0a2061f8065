//! The ids of events already counted, per month, as compressed bitmaps
//! (GitHub's event ids of one month are dense, so a month of them takes
//! a few bytes per thousand). An event's month follows from its time, so
//! an id is always looked up in the same month's set.

use crate::time::Month;
use roaring::RoaringTreemap;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
pub struct SeenIds {
    months: BTreeMap<Month, RoaringTreemap>,
    dirty: BTreeSet<Month>,
}

impl SeenIds {
    /// From stored bitmaps; a bitmap that does not read is an error, not an
    /// empty set (that would count every event again).
    pub fn load(rows: Vec<(Month, Vec<u8>)>) -> std::io::Result<SeenIds> {
        let mut months = BTreeMap::new();
        for (m, bytes) in rows {
            months.insert(m, RoaringTreemap::deserialize_from(bytes.as_slice())?);
        }
        Ok(SeenIds {
            months,
            dirty: BTreeSet::new(),
        })
    }

    /// Records `id`; false when it was already there.
    pub fn insert(&mut self, month: Month, id: u64) -> bool {
        let new = self.months.entry(month).or_default().insert(id);
        if new {
            self.dirty.insert(month);
        }
        new
    }

    pub fn contains(&self, month: Month, id: u64) -> bool {
        self.months.get(&month).is_some_and(|s| s.contains(id))
    }

    pub fn len(&self) -> u64 {
        self.months.values().map(|s| s.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The months changed since the last call, serialized for storage.
    pub fn take_dirty(&mut self) -> Vec<(Month, Vec<u8>)> {
        let dirty = std::mem::take(&mut self.dirty);
        dirty
            .into_iter()
            .map(|m| {
                let set = &self.months[&m];
                let mut bytes = Vec::with_capacity(set.serialized_size());
                set.serialize_into(&mut bytes)
                    .expect("writing to a Vec cannot fail");
                (m, bytes)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_dedup() {
        let (a, b) = (Month::new(2026, 1), Month::new(2026, 2));
        let mut s = SeenIds::default();
        assert!(s.insert(a, 26_000_000_001));
        assert!(!s.insert(a, 26_000_000_001));
        assert!(s.insert(b, 26_000_000_001), "months are separate sets");
        for id in 30_000_000_000u64..30_000_100_000 {
            s.insert(a, id);
        }
        let dirty = s.take_dirty();
        assert_eq!(dirty.len(), 2);
        // 100,000 consecutive ids take a bitmap, not 800 kB of ids.
        assert!(dirty[0].1.len() < 32_000, "{}", dirty[0].1.len());
        assert!(s.take_dirty().is_empty());
        let back = SeenIds::load(dirty).unwrap();
        assert!(back.contains(a, 30_000_050_000) && back.contains(b, 26_000_000_001));
        assert!(!back.contains(b, 30_000_050_000));
        assert_eq!(back.len(), 100_002);
        assert!(SeenIds::load(vec![(a, vec![1, 2, 3])]).is_err());
    }
}
