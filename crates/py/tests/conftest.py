"""Shared fixtures: the repository's bundled structures and workflows, and the `halo` CLI that
the parity tests compare against (HALO_CLI, else the release or debug build in
CARGO_TARGET_DIR or the repository's target/)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SPINEL = REPO / "structures" / "Li2Sc2-3Cl4_Fd-3m_Zhou2020_neutron.cif"
MINI_WORKFLOW = REPO / "tests" / "data" / "workflows" / "mini.toml"
BAD = REPO / "tests" / "data" / "bad"


def _find_cli():
    env = os.environ.get("HALO_CLI")
    if env:
        return env
    roots = [os.environ.get("CARGO_TARGET_DIR"), str(REPO / "target")]
    for root in filter(None, roots):
        for profile in ("release", "debug"):
            p = Path(root) / profile / "halo"
            if p.is_file() and os.access(p, os.X_OK):
                return str(p)
    return shutil.which("halo")


CLI = _find_cli()


@pytest.fixture(scope="session")
def cli():
    """Run the CLI; returns (exit code, stdout, stderr)."""
    if CLI is None:
        pytest.skip("the halo CLI is not built (cargo build --release, or set HALO_CLI)")

    def run(*args):
        p = subprocess.run(
            [CLI, *map(str, args)], capture_output=True, text=True, cwd=REPO, timeout=600
        )
        return p.returncode, p.stdout, p.stderr

    return run


@pytest.fixture(scope="session")
def cli_json(cli):
    """Run the CLI with --json and parse its output (exit code 0 required)."""

    def run(*args):
        code, out, err = cli(*args, "--json")
        assert code == 0, err
        return json.loads(out)

    return run


@pytest.fixture(scope="session")
def spinel_path():
    """The bundled Li2Sc2/3Cl4 refinement, as the CLI is given it (relative to the repo)."""
    return os.path.relpath(SPINEL, REPO)


@pytest.fixture()
def in_repo(monkeypatch):
    """Run the test from the repository root (so relative paths read as the CLI's)."""
    monkeypatch.chdir(REPO)
