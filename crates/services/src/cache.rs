//! A read cache for the hottest pages (a question with its answers, and
//! list pages), for the single-node SQLite deployment.
//!
//! Every write through the service layer bumps one generation counter; an
//! entry filled at an older generation is never served. That is coarse (any
//! vote empties the cache) but exact, and the ledger stays the only truth:
//! the cache holds nothing that a read cannot rebuild.
//!
//! With PostgreSQL, other app nodes write too: each node announces its
//! writes with NOTIFY and follows the others' with LISTEN, and serves from
//! the cache only while that connection is up. A node sees its own writes
//! at once and other nodes' within the notification delay (milliseconds).

use guildhall_storage::content::{PostRecord, QuestionPage};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

const MAX_ENTRIES: usize = 4096;

pub type ListKey = (String, Option<String>, i64, i64);
type Entry<T> = (u64, Arc<T>);

pub struct ReadCache {
    generation: AtomicU64,
    /// False while other nodes' writes might go unnoticed.
    active: std::sync::atomic::AtomicBool,
    questions: Mutex<HashMap<i64, Entry<QuestionPage>>>,
    lists: Mutex<HashMap<ListKey, Entry<Vec<PostRecord>>>>,
}

impl ReadCache {
    pub fn new(active: bool) -> ReadCache {
        ReadCache {
            generation: AtomicU64::new(0),
            active: std::sync::atomic::AtomicBool::new(active),
            questions: Mutex::default(),
            lists: Mutex::default(),
        }
    }

    pub fn set_active(&self, on: bool) {
        self.invalidate();
        self.active.store(on, Ordering::Release);
    }

    fn is_active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Called after every committed write.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn question(&self, id: i64) -> Option<Arc<QuestionPage>> {
        if !self.is_active() {
            return None;
        }
        let g = self.generation();
        let map = self.questions.lock().ok()?;
        map.get(&id)
            .filter(|(eg, _)| *eg == g)
            .map(|(_, p)| p.clone())
    }

    pub fn put_question(&self, id: i64, generation: u64, page: Arc<QuestionPage>) {
        if let Ok(mut map) = self.questions.lock() {
            if map.len() >= MAX_ENTRIES {
                let g = self.generation();
                map.retain(|_, (eg, _)| *eg == g);
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
            }
            map.insert(id, (generation, page));
        }
    }

    /// Drop one question's page (its view count changed: views are not
    /// writes that should empty the whole cache).
    pub fn forget_question(&self, id: i64) {
        if let Ok(mut map) = self.questions.lock() {
            map.remove(&id);
        }
    }

    pub fn list(&self, key: &ListKey) -> Option<Arc<Vec<PostRecord>>> {
        if !self.is_active() {
            return None;
        }
        let g = self.generation();
        let map = self.lists.lock().ok()?;
        map.get(key)
            .filter(|(eg, _)| *eg == g)
            .map(|(_, p)| p.clone())
    }

    pub fn put_list(&self, key: ListKey, generation: u64, rows: Arc<Vec<PostRecord>>) {
        if let Ok(mut map) = self.lists.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(key, (generation, rows));
        }
    }
}
