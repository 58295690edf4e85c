//! The parallel runner: evaluates every pending candidate of a shard on a rayon pool, records
//! each result durably as soon as it is known, and stops cleanly on request (SIGTERM/SIGINT).
//!
//! Workers only compute; one writer (the calling thread) appends to the checkpoint, so records
//! are never interleaved. Results do not depend on the thread count or on the order in which
//! candidates finish: every candidate's seed comes from (campaign seed, candidate id), and every
//! output is later built from the checkpoint sorted by id.

use crate::checkpoint::{Checkpoint, Keyed};
use crate::error::CampaignError;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{de::DeserializeOwned, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

/// Progress reporting handed to the evaluator: one bar per stage on a terminal; without a
/// terminal (a batch job's log) one line with every stage's count at least every
/// [`LOG_INTERVAL`].
pub struct StageProgress {
    bars: Vec<(&'static str, ProgressBar)>,
    ticker: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

/// Interval of the progress lines written when stderr is not a terminal.
pub const LOG_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// "realise 3/7, bvse 2/7, …" for the log lines.
fn progress_line(bars: &[(&'static str, ProgressBar)]) -> String {
    bars.iter()
        .map(|(s, b)| format!("{s} {}/{}", b.position(), b.length().unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl StageProgress {
    /// Bars for `stages`, each of length `n`, drawn on stderr when `visible` (and stderr is a TTY).
    pub fn new(stages: &[&'static str], n: u64, visible: bool) -> (StageProgress, MultiProgress) {
        use std::io::IsTerminal;
        let tty = std::io::stderr().is_terminal();
        let mp = MultiProgress::with_draw_target(if visible && tty {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let style = ProgressStyle::with_template(
            "{prefix:>9} [{bar:36}] {pos:>5}/{len:5} {per_sec:>9} ETA {eta}",
        )
        .expect("static template")
        .progress_chars("=> ");
        let bars = stages
            .iter()
            .map(|&s| {
                let b = mp.add(ProgressBar::new(n));
                b.set_style(style.clone());
                b.set_prefix(s);
                (s, b)
            })
            .collect::<Vec<_>>();
        let ticker = (visible && !tty).then(|| {
            let stop = Arc::new(AtomicBool::new(false));
            let (stop2, bars2) = (stop.clone(), bars.clone());
            let handle = std::thread::spawn(move || {
                let t0 = std::time::Instant::now();
                let mut last = t0;
                while !stop2.load(Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    if last.elapsed() >= LOG_INTERVAL {
                        last = std::time::Instant::now();
                        eprintln!(
                            "halo: {:.0} s: {}",
                            t0.elapsed().as_secs_f64(),
                            progress_line(&bars2)
                        );
                    }
                }
            });
            (stop, handle)
        });
        (StageProgress { bars, ticker }, mp)
    }

    /// Mark one candidate as having passed `stage` (a failed candidate passes all later stages).
    pub fn done(&self, stage: &str) {
        if let Some((_, b)) = self.bars.iter().find(|(s, _)| *s == stage) {
            b.inc(1);
        }
    }

    /// Mark a failed candidate as done for every stage it did not pass (`passed`: the stages
    /// it completed). A failure is reported under the stage that owns it, which may come
    /// before the stages it skipped were reached (no mobile Li is a kmc failure found before
    /// the landscape): counting from that stage on left the landscape's bars short.
    pub fn skip_all_but(&self, passed: &[&str]) {
        for (s, b) in &self.bars {
            if !passed.contains(s) {
                b.inc(1);
            }
        }
    }

    /// Mark a candidate that failed at `stage` as done for every stage from there on.
    pub fn skip_from(&self, stage: &str) {
        let mut on = false;
        for (s, b) in &self.bars {
            if *s == stage {
                on = true;
            }
            if on {
                b.inc(1);
            }
        }
    }

    /// Start every bar at `n`: the candidates a previous pass recorded (a resumed run's bars
    /// then end at their length, not short of it by the work done before).
    fn start_at(&self, n: u64) {
        for (_, b) in &self.bars {
            b.set_position(n);
            b.reset_eta();
        }
    }

    /// Every bar at its length.
    fn complete(&self) -> bool {
        self.bars
            .iter()
            .all(|(_, b)| Some(b.position()) == b.length())
    }

    fn finish(&self) {
        for (_, b) in &self.bars {
            // `finish` would move every bar to its length: a stopped run shows where it got to
            b.abandon();
        }
        if let Some((stop, _)) = &self.ticker {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

impl Drop for StageProgress {
    fn drop(&mut self) {
        if let Some((stop, handle)) = self.ticker.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
            if !self.bars.is_empty() {
                eprintln!(
                    "halo: {}: {}",
                    if self.complete() { "done" } else { "stopped" },
                    progress_line(&self.bars)
                );
            }
        }
    }
}

/// Summary of one runner pass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Candidates of this shard in total.
    pub total: usize,
    /// Already recorded before this pass.
    pub already_done: usize,
    /// Recorded in this pass.
    pub recorded: usize,
    /// True when a stop was requested before every candidate was recorded.
    pub interrupted: bool,
}

/// Evaluate every task not yet in the checkpoint at `checkpoint_path`, in parallel on `threads`
/// threads, appending each result as it arrives. `stop` is polled before each task starts; a
/// running task may also watch it and give up (`evaluate` returns `None`: nothing recorded).
pub fn run_pending<T, R, F>(
    tasks: &[T],
    task_id: impl Fn(&T) -> &str + Sync,
    checkpoint_path: &Path,
    threads: usize,
    stop: Arc<AtomicBool>,
    progress: &StageProgress,
    evaluate: F,
) -> Result<(RunSummary, BTreeMap<String, R>), CampaignError>
where
    T: Sync,
    R: Serialize + DeserializeOwned + Keyed + Send,
    F: Fn(&T, &StageProgress) -> Option<R> + Sync,
{
    let (mut ckpt, mut done, recovery) = Checkpoint::open::<R>(checkpoint_path)?;
    if recovery.truncated_bytes > 0 {
        // a crash during a write leaves at most one torn last line: cut, and said
        eprintln!(
            "halo: {}: cut a torn last record ({} bytes, a crash during its write); its \
             candidate is computed again",
            checkpoint_path.display(),
            recovery.truncated_bytes
        );
    }
    let pending: Vec<&T> = tasks
        .iter()
        .filter(|t| !done.contains_key(task_id(t)))
        .collect();
    let mut summary = RunSummary {
        total: tasks.len(),
        already_done: tasks.len() - pending.len(),
        ..Default::default()
    };
    progress.start_at(summary.already_done as u64);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| CampaignError::Stage {
            stage: "runner",
            reason: format!("cannot start {threads} threads: {e}"),
        })?;
    let (tx, rx) = mpsc::channel::<R>();
    let mut write_error = None;
    std::thread::scope(|scope| {
        let stop_w = stop.clone();
        let pending_ref = &pending;
        let evaluate = &evaluate;
        scope.spawn(move || {
            pool.install(|| {
                use rayon::prelude::*;
                pending_ref.par_iter().for_each_with(tx, |tx, t| {
                    if stop_w.load(Ordering::SeqCst) {
                        return;
                    }
                    // None: abandoned on a stop request, nothing to record
                    if let Some(r) = evaluate(t, progress) {
                        // the receiver only disappears if writing failed; then stop quietly
                        let _ = tx.send(r);
                    }
                });
            });
        });
        for r in rx {
            if write_error.is_some() {
                continue;
            }
            match ckpt.append(&r) {
                Ok(()) => {
                    summary.recorded += 1;
                    done.insert(r.key().to_string(), r);
                }
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    write_error = Some(e);
                }
            }
        }
    });
    progress.finish();
    if let Some(e) = write_error {
        return Err(e);
    }
    summary.interrupted = summary.already_done + summary.recorded < summary.total;
    Ok((summary, done))
}

#[cfg(test)]
mod tests {
    /// A candidate that failed before reaching some stages (no mobile Li, a kmc failure found
    /// before the landscape) is counted on every bar it did not pass, so a finished run's bars
    /// end at their length.
    #[test]
    fn a_failure_counts_on_every_stage_it_skipped() {
        let stages = ["realise", "bvse", "graph", "kmc", "filters"];
        let (p, _mp) = StageProgress::new(&stages, 2, false);
        // one candidate through every stage, one failed at "kmc" after realise only
        for s in stages {
            p.done(s);
        }
        p.done("realise");
        p.skip_all_but(&["realise"]);
        assert!(p.complete(), "{}", progress_line(&p.bars));
    }

    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
    struct Out {
        id: String,
        value: u64,
    }
    impl Keyed for Out {
        fn key(&self) -> &str {
            &self.id
        }
    }

    fn tasks() -> Vec<String> {
        (0..40).map(|i| format!("t{i:02}")).collect()
    }

    #[allow(clippy::ptr_arg)] // the runner hands each task as &T with T = String
    fn eval(t: &String, p: &StageProgress) -> Option<Out> {
        p.done("eval");
        Some(Out {
            id: t.to_string(),
            value: crate::shard::candidate_seed(1, t),
        })
    }

    #[test]
    fn resumes_without_loss_or_duplicates_and_ignores_threads() {
        let dir = tempfile::tempdir().unwrap();
        let ts = tasks();
        // first pass: stop after a few
        let stop = Arc::new(AtomicBool::new(false));
        let (p, _mp) = StageProgress::new(&["eval"], ts.len() as u64, false);
        let stop2 = stop.clone();
        let counter = std::sync::atomic::AtomicUsize::new(0);
        let (s1, _) = run_pending(
            &ts,
            |t| t.as_str(),
            &dir.path().join("c.jsonl"),
            2,
            stop.clone(),
            &p,
            |t, p| {
                if counter.fetch_add(1, Ordering::SeqCst) >= 7 {
                    stop2.store(true, Ordering::SeqCst);
                }
                eval(t, p)
            },
        )
        .unwrap();
        assert!(s1.interrupted);
        assert!(s1.recorded >= 8 && s1.recorded < 40);
        // the bar shows where the stopped pass got to, not its length
        let at = p.bars[0].1.position();
        assert!((8..40).contains(&at), "{at}");
        // resume, in a new process: new bars, which start at what the first pass recorded and
        // end at their length
        let (p2, _mp2) = StageProgress::new(&["eval"], ts.len() as u64, false);
        let (s2, all) = run_pending(
            &ts,
            |t| t.as_str(),
            &dir.path().join("c.jsonl"),
            1,
            Arc::new(AtomicBool::new(false)),
            &p2,
            eval,
        )
        .unwrap();
        assert!(!s2.interrupted);
        assert!(p2.complete(), "{}", progress_line(&p2.bars));
        assert_eq!(s2.already_done, s1.recorded);
        assert_eq!(s1.recorded + s2.recorded, 40);
        assert_eq!(all.len(), 40);
        // a fresh single-threaded run gives identical records
        let (_, fresh) = run_pending(
            &ts,
            |t| t.as_str(),
            &dir.path().join("d.jsonl"),
            1,
            Arc::new(AtomicBool::new(false)),
            &p,
            eval,
        )
        .unwrap();
        assert_eq!(fresh, all);
        let lines = std::fs::read_to_string(dir.path().join("c.jsonl"))
            .unwrap()
            .lines()
            .count();
        assert_eq!(lines, 40);
    }
}
