//! Durable, append-only checkpoints in JSON Lines.
//!
//! One line per finished candidate (success or recorded failure), written with a single `write`
//! of the whole line followed by `fsync`, so a crash (even SIGKILL) leaves at most one torn last
//! line. Opening a checkpoint recovers: a last line without its newline, or one that does not
//! parse, is cut off (the candidate is simply evaluated again), and duplicates (a candidate
//! recorded twice after a requeue) are collapsed by candidate id — the first complete record wins,
//! and since evaluation is deterministic a duplicate is identical anyway.

use crate::error::CampaignError;
use serde::{de::DeserializeOwned, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// An entry of a checkpoint file: anything with a candidate id.
pub trait Keyed {
    /// The content-derived candidate id.
    fn key(&self) -> &str;

    /// Whether a second record of the same id holds the same result (a legitimate duplicate,
    /// e.g. after a requeue); by default every duplicate is.
    fn same_result(&self, _other: &Self) -> bool {
        true
    }
}

/// What recovery found when a checkpoint was opened.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Complete records read.
    pub records: usize,
    /// Bytes of a torn or unparseable tail that were cut off.
    pub truncated_bytes: u64,
    /// Records dropped because their id was already present.
    pub duplicates: usize,
    /// Ids recorded twice with different results ([`Keyed::same_result`]).
    pub conflicts: Vec<String>,
}

/// An open append-only checkpoint.
pub struct Checkpoint {
    path: PathBuf,
    file: File,
}

/// Read every complete record of a checkpoint file without modifying it. Torn tails are
/// ignored; duplicates are collapsed (first wins). Records are returned keyed by id.
pub fn read_records<T: DeserializeOwned + Keyed>(
    path: &Path,
) -> Result<(BTreeMap<String, T>, Recovery, u64), CampaignError> {
    let mut text = Vec::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_end(&mut text)
                .map_err(|e| CampaignError::io(path, e))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((BTreeMap::new(), Recovery::default(), 0))
        }
        Err(e) => return Err(CampaignError::io(path, e)),
    }
    let mut out: BTreeMap<String, T> = BTreeMap::new();
    let mut rec = Recovery::default();
    let mut good_end = 0u64;
    let mut start = 0usize;
    while start < text.len() {
        let Some(nl) = text[start..].iter().position(|&b| b == b'\n') else {
            break; // torn last line: no newline
        };
        let line = &text[start..start + nl];
        match serde_json::from_slice::<T>(line) {
            Ok(r) => {
                match out.entry(r.key().to_string()) {
                    std::collections::btree_map::Entry::Occupied(o) => {
                        rec.duplicates += 1;
                        if !o.get().same_result(&r) && !rec.conflicts.contains(o.key()) {
                            rec.conflicts.push(o.key().clone());
                        }
                    }
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(r);
                        rec.records += 1;
                    }
                }
                good_end = (start + nl + 1) as u64;
            }
            Err(_) if start + nl + 1 == text.len() => break, // garbled last line
            Err(e) => {
                let line_no = text[..start].iter().filter(|&&b| b == b'\n').count() + 1;
                return Err(CampaignError::CorruptCheckpoint {
                    path: path.to_path_buf(),
                    line: line_no,
                    reason: e.to_string(),
                });
            }
        }
        start += nl + 1;
    }
    rec.truncated_bytes = text.len() as u64 - good_end;
    Ok((out, rec, good_end))
}

impl Checkpoint {
    /// Open (creating if needed) and recover a checkpoint: cut a torn tail, return the records.
    pub fn open<T: DeserializeOwned + Keyed>(
        path: &Path,
    ) -> Result<(Checkpoint, BTreeMap<String, T>, Recovery), CampaignError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CampaignError::io(dir, e))?;
        }
        let (records, recovery, good_end) = read_records::<T>(path)?;
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(path)
            .map_err(|e| CampaignError::io(path, e))?;
        if recovery.truncated_bytes > 0 {
            file.set_len(good_end)
                .map_err(|e| CampaignError::io(path, e))?;
            file.sync_all().map_err(|e| CampaignError::io(path, e))?;
        }
        file.seek(SeekFrom::End(0))
            .map_err(|e| CampaignError::io(path, e))?;
        Ok((
            Checkpoint {
                path: path.to_path_buf(),
                file,
            },
            records,
            recovery,
        ))
    }

    /// Append one record durably: one write of the full line, then fsync.
    pub fn append<T: Serialize>(&mut self, record: &T) -> Result<(), CampaignError> {
        let mut line = serde_json::to_vec(record).map_err(|e| CampaignError::Serialize {
            what: "checkpoint record".into(),
            reason: e.to_string(),
        })?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .map_err(|e| CampaignError::io(&self.path, e))?;
        self.file
            .sync_data()
            .map_err(|e| CampaignError::io(&self.path, e))?;
        Ok(())
    }

    /// The file behind this checkpoint.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct R {
        id: String,
        v: f64,
    }
    impl Keyed for R {
        fn key(&self) -> &str {
            &self.id
        }
    }

    #[test]
    fn torn_tail_is_cut_and_duplicates_collapse() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl");
        {
            let (mut c, recs, _) = Checkpoint::open::<R>(&p).unwrap();
            assert!(recs.is_empty());
            c.append(&R {
                id: "a".into(),
                v: 1.0,
            })
            .unwrap();
            c.append(&R {
                id: "b".into(),
                v: 2.0,
            })
            .unwrap();
            c.append(&R {
                id: "a".into(),
                v: 1.0,
            })
            .unwrap();
        }
        // simulate a crash in the middle of a write
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"id\":\"c\",\"v\":").unwrap();
        drop(f);
        let (mut c, recs, rec) = Checkpoint::open::<R>(&p).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(rec.duplicates, 1);
        assert_eq!(rec.truncated_bytes, 14);
        c.append(&R {
            id: "c".into(),
            v: 3.0,
        })
        .unwrap();
        drop(c);
        let (recs, rec, _) = read_records::<R>(&p).unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(rec.truncated_bytes, 0);
        assert_eq!(recs["c"].v, 3.0);
    }

    #[test]
    fn corruption_in_the_middle_is_an_error_with_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl");
        std::fs::write(
            &p,
            "{\"id\":\"a\",\"v\":1}\nnot json\n{\"id\":\"b\",\"v\":2}\n",
        )
        .unwrap();
        match read_records::<R>(&p) {
            Err(CampaignError::CorruptCheckpoint { line, .. }) => assert_eq!(line, 2),
            other => panic!("expected corruption error, got {:?}", other.map(|x| x.1)),
        }
    }
}
