//! [`HistoryStore`]: one SQLite file (`history.sqlite3`), WAL journal, one connection behind a mutex together with
//! the in-memory caches (series name → id, rollup watermarks). Writing, maintenance, queries and opening live in
//! the submodules; this file holds the type and its public face.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard, PoisonError},
};

use rusqlite::Connection;

use crate::{
    Answer, Maintenance, Marker, Query, Result, Sample, SeriesInfo, SeriesKind, Settings, Usage,
};

mod maintain;
mod open;
mod query;
mod read;
mod write;

/// The file name [`HistoryStore::open_dir`] uses.
pub const FILE_NAME: &str = "history.sqlite3";

/// The persistent, tiered history of the dashboard's chart figures. `Send + Sync`; every method blocks.
#[derive(Debug)]
pub struct HistoryStore {
    inner: Mutex<Inner>,
    path: PathBuf,
    settings: Settings,
    moved_aside: Option<PathBuf>,
}

/// What the mutex guards: the connection and the caches that must change only with it.
#[derive(Debug)]
struct Inner {
    conn: Connection,
    /// Series name → (id, kind), every series of the file.
    ids: HashMap<String, (i64, SeriesKind)>,
    /// Rollup state, mirrored in the `meta` table.
    marks: Marks,
}

/// The rollup watermarks and the range touched by out-of-order samples.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Marks {
    /// Every minute starting before this is rolled into `m1` (`None`: nothing written yet).
    m1: Option<i64>,
    /// Every hour starting before this is rolled into `h1`.
    h1: Option<i64>,
    /// Earliest and latest time of samples written below the `m1` watermark since the last maintenance.
    dirty: Option<(i64, i64)>,
}

impl HistoryStore {
    /// Opens (creating if needed) `history.sqlite3` in `dir`. A file that is not a readable SQLite database of ours
    /// (corrupt, truncated, garbage) is renamed to `history.sqlite3.corrupt-<unix seconds>` (with its `-wal` and
    /// `-shm`), a warning names both paths, and a fresh store is started; [`HistoryStore::moved_aside`] then tells
    /// where it went. A file from a newer build is refused with [`crate::StoreError::NewerSchema`] and left alone.
    pub fn open_dir(dir: &Path, settings: Settings) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| crate::StoreError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        Self::open(&dir.join(FILE_NAME), settings)
    }

    /// Opens (creating if needed) the database file at `path`, with the same handling of a corrupt file as
    /// [`HistoryStore::open_dir`].
    pub fn open(path: &Path, settings: Settings) -> Result<Self> {
        let (inner, moved_aside) = open::open(path)?;
        Ok(Self {
            inner: Mutex::new(inner),
            path: path.to_owned(),
            settings,
            moved_aside,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Retention and budget in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Where an unreadable file found at open was moved, if one was.
    pub fn moved_aside(&self) -> Option<&Path> {
        self.moved_aside.as_deref()
    }

    /// Writes one sampling round taken at unix second `t`, in one transaction. Unknown series are created with the
    /// sample's kind. Gauge: a second sample of the same series in the same second replaces the first; count: adds.
    /// Non-finite values are skipped. Times may go backwards (clock jump): such samples are stored and the minutes
    /// and hours they touch are rolled up again at the next [`HistoryStore::maintain`].
    pub fn write(&self, t: i64, samples: &[Sample]) -> Result<()> {
        write::write_rounds(&mut self.lock(), &[(t, samples)])
    }

    /// Writes many rounds in one transaction (imports, tests, benchmarks).
    pub fn write_many(&self, rounds: &[(i64, Vec<Sample>)]) -> Result<()> {
        let rounds: Vec<(i64, &[Sample])> =
            rounds.iter().map(|(t, s)| (*t, s.as_slice())).collect();
        write::write_rounds(&mut self.lock(), &rounds)
    }

    /// Stores markers for the time axis.
    pub fn add_markers(&self, markers: &[Marker]) -> Result<()> {
        write::add_markers(&mut self.lock().conn, markers)
    }

    /// Rolls every complete minute into the 1-minute tier and every complete hour into the 1-hour tier, rolls again
    /// the buckets touched by out-of-order samples, removes rows older than each tier's keep (relative to `now`) and
    /// markers older than the hour tier's keep, then enforces the disk budget (oldest raw first, keeping its newest
    /// hour; then 1-minute, keeping its newest day; then 1-hour, keeping its newest day) and gives the freed pages
    /// back to the file system. Returns what it did.
    pub fn maintain(&self, now: i64) -> Result<Maintenance> {
        maintain::maintain(&mut self.lock(), &self.path, &self.settings, now)
    }

    /// Answers a range query (see [`Query`]); refuses a bad one with [`crate::StoreError::BadQuery`].
    pub fn query(&self, q: &Query) -> Result<Answer> {
        query::query(&self.lock(), q)
    }

    /// Markers with `from <= t <= to`, oldest first; at most `limit` (the newest `limit` when there are more).
    pub fn markers(&self, from: i64, to: i64, limit: usize) -> Result<Vec<Marker>> {
        read::markers(&self.lock().conn, from, to, limit)
    }

    /// Every series the store knows, by name.
    pub fn series(&self) -> Result<Vec<SeriesInfo>> {
        read::series(&self.lock().conn)
    }

    /// What the store holds and how many bytes it uses. Counts rows, so it reads every tier once: call it for a
    /// status page, not per sample.
    pub fn usage(&self) -> Result<Usage> {
        read::usage(&self.lock().conn, &self.path, self.settings.budget_bytes)
    }

    /// Bytes each tier's table takes in the file (pages, from SQLite's `dbstat`), finest first.
    pub fn tier_bytes(&self) -> Result<Vec<(crate::Tier, u64)>> {
        read::tier_bytes(&self.lock().conn)
    }

    /// Caps the file at `pages` pages (0 lifts the cap), to make a full disk in tests.
    #[doc(hidden)]
    pub fn limit_pages_for_tests(&self, pages: u32) -> Result<()> {
        let pages = if pages == 0 { 0x3fff_fffe } else { pages };
        self.lock()
            .conn
            .pragma_update(None, "max_page_count", i64::from(pages))?;
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Bytes the database uses on disk: the file and its write-ahead log, as the file system reports them.
fn bytes_on_disk(path: &Path) -> u64 {
    let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    len(path) + len(&side_file(path, "-wal"))
}

/// `path` with `suffix` appended to its file name (`-wal`, `-shm`).
fn side_file(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Start of the bucket of `step` seconds holding `t`.
fn floor(t: i64, step: i64) -> i64 {
    t.div_euclid(step) * step
}

fn kind_code(kind: SeriesKind) -> i64 {
    match kind {
        SeriesKind::Gauge => 0,
        SeriesKind::Count => 1,
    }
}

fn kind_of(code: i64) -> SeriesKind {
    if code == 1 {
        SeriesKind::Count
    } else {
        SeriesKind::Gauge
    }
}

impl Marks {
    const KEYS: [&'static str; 4] = ["m1_rolled", "h1_rolled", "dirty_lo", "dirty_hi"];

    /// Reads the watermarks from `meta`.
    fn load(conn: &Connection) -> rusqlite::Result<Self> {
        let mut stmt = conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?;
        let mut get = |key: &str| -> rusqlite::Result<Option<i64>> {
            let mut rows = stmt.query([key])?;
            match rows.next()? {
                Some(row) => row.get(0),
                None => Ok(None),
            }
        };
        let (m1, h1) = (get(Self::KEYS[0])?, get(Self::KEYS[1])?);
        let dirty = match (get(Self::KEYS[2])?, get(Self::KEYS[3])?) {
            (Some(lo), Some(hi)) => Some((lo, hi)),
            _ => None,
        };
        Ok(Self { m1, h1, dirty })
    }

    /// Writes the watermarks to `meta` (inside the caller's transaction).
    fn save(&self, conn: &Connection) -> rusqlite::Result<()> {
        let mut stmt =
            conn.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?;
        let values = [
            self.m1,
            self.h1,
            self.dirty.map(|d| d.0),
            self.dirty.map(|d| d.1),
        ];
        for (key, value) in Self::KEYS.iter().zip(values) {
            stmt.execute(rusqlite::params![key, value])?;
        }
        Ok(())
    }
}

/// A stored row as `(t, min, max, sum, n)`.
#[cfg(test)]
pub(crate) type RowForTests = (i64, f64, f64, f64, i64);

#[cfg(test)]
impl HistoryStore {
    /// The stored rows of a tier for one series as `(t, min, max, sum, n)` (raw rows: `(t, v, v, v, 1)`).
    pub(crate) fn rows_for_tests(
        &self,
        tier: crate::Tier,
        series: &str,
    ) -> Result<Vec<RowForTests>> {
        let inner = self.lock();
        let Some((id, _)) = inner.ids.get(series) else {
            return Ok(Vec::new());
        };
        let sql = match tier {
            crate::Tier::Raw => {
                "SELECT t, v, v, v, 1 FROM raw WHERE series = ?1 ORDER BY t".to_owned()
            }
            t => format!(
                "SELECT t, min, max, sum, n FROM {} WHERE series = ?1 ORDER BY t",
                read::table(t)
            ),
        };
        let mut stmt = inner.conn.prepare(&sql)?;
        let rows = stmt.query_map([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
