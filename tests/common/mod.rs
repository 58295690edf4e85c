//! Helpers shared by the end-to-end tests of the `halo` binary.
#![allow(dead_code)] // each test binary uses a subset

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `halo` binary under test.
pub fn halo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_halo"))
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A bundled structure file, `structures/NAME`.
pub fn structure(name: &str) -> PathBuf {
    root().join("structures").join(name)
}

/// Short kMC statistics (one replica, four blocks of five hops per ion).
pub fn short_statistics(cmd: &mut Command) -> &mut Command {
    cmd.args([
        "--replicas",
        "1",
        "--blocks",
        "4",
        "--hops-per-block",
        "5",
        "--equilibration",
        "5",
    ])
}

/// Run `cmd` and require exit 0, showing its stderr otherwise.
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the halo binary runs");
    assert!(
        out.status.success(),
        "{:?} exited with {:?}:\n{}",
        cmd,
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Run `cmd`, require exit 0 and parse its stdout as JSON.
pub fn json_ok(cmd: &mut Command) -> serde_json::Value {
    let out = run_ok(cmd);
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Run `cmd` and require a failure whose stderr contains `needle` and no panic.
pub fn fails_with(cmd: &mut Command, needle: &str) {
    let out = cmd.output().expect("the halo binary runs");
    assert!(!out.status.success(), "{cmd:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(needle), "{cmd:?}: {err}");
    assert!(!err.contains("panicked"), "{cmd:?} panicked: {err}");
}

/// Run `halo ARGS` in the repository root and return its output.
pub fn output(args: &[&str]) -> Output {
    halo()
        .args(args)
        .current_dir(root())
        .output()
        .expect("the halo binary runs")
}

/// Run `halo ARGS` in the repository root: (exit code, stdout, stderr); −1 when ended by a signal.
pub fn run_args(args: &[&str]) -> (i32, String, String) {
    let out = output(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
