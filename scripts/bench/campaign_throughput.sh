#!/usr/bin/env bash
# Throughput of a campaign on this machine: candidates per hour for a deterministic sample of
# the discovery workflow (shard 0 of N, chosen by candidate-id hash, so the sample is the same
# on every machine), with the statistical quality it reached (median relative SE of σ(300 K)).
#
#   scripts/bench/campaign_throughput.sh [WORKFLOW] [SHARDS] [THREADS]
#
# Defaults: workflows/halide-discovery.toml, 1/40 of the candidates, 2 threads. For the explicit
# model, pass a copy of the workflow with `model = "explicit"` in [kmc]: the script then also
# reports the ensemble size per candidate and the share that hit the realisation cap; for the
# averaged model (the default) it reports the replicas its stopping rule ran per temperature
# and the share of candidates that needed more than the starting replicas or hit the cap.
# HALO_BENCH_OUT=DIR keeps the campaign folder in DIR (a new folder) instead of a temporary one.
set -euo pipefail
cd "$(dirname "$0")/../.."
wf=${1:-workflows/halide-discovery.toml}
shards=${2:-40}
threads=${3:-2}
cargo build --release --locked --bin halo >/dev/null
bin=${CARGO_TARGET_DIR:-target}/release/halo
if [ -n "${HALO_BENCH_OUT:-}" ]; then
  # keep the campaign folder (records, report) for a look at the ranking; must not exist yet
  out=$HALO_BENCH_OUT
  if [ -e "$out" ]; then echo "HALO_BENCH_OUT=$out exists; choose a new folder" >&2; exit 2; fi
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
start=$(date +%s.%N)
rc=0
"$bin" run "$wf" --out "$out" --shard "0/$shards" --threads "$threads" --no-progress || rc=$?
end=$(date +%s.%N)
if [ ! -f "$out/candidates.json" ]; then
  # the run stopped before planning (bad workflow, ...): its error is above
  echo "campaign_throughput: halo run exited $rc before planning any candidate" >&2
  exit "$(( rc == 0 ? 1 : rc ))"
fi
python3 - "$out" "$start" "$end" "$threads" "$shards" <<'PY'
import json, sys, glob, statistics
out, start, end, threads, shards = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
plan = json.load(open(f"{out}/candidates.json"))
recs = [json.loads(l) for f in glob.glob(f"{out}/checkpoint*.jsonl") for l in open(f)]
ok = [r for r in recs if r["status"] == "evaluated"]
rel = [r["metrics"]["ranking"]["sigma_300k_se_s_per_cm"] / r["metrics"]["ranking"]["sigma_300k_s_per_cm"]
       for r in ok if r["metrics"]["ranking"].get("sigma_300k_s_per_cm")]
wall = end - start
stage = {}
for r in recs:
    for k, v in r["timings_s"].items():
        stage.setdefault(k, []).append(v)
print(f"workflow: {len(plan['candidates'])} candidates planned, sample = shard 0/{shards}: {len(recs)} "
      f"({len(ok)} evaluated, {len(recs) - len(ok)} failed)")
print(f"wall {wall:.1f} s on {threads} threads -> {3600 * len(recs) / wall:.0f} candidates/hour "
      f"(whole campaign ≈ {len(plan['candidates']) * wall / max(len(recs),1) / 3600:.2f} h)")
if rel:
    print(f"sigma(300 K) relative SE: median {statistics.median(rel):.3f}, max {max(rel):.3f}")
ens = [r.get("details", {}).get("model", {}).get("ensemble") for r in ok]
ens = [e for e in ens if e]
if ens:
    sizes = [len(e["realisations"]) for e in ens]
    cap = sum(1 for e in ens if e["hit_cap"])
    print(f"explicit model: realisations per candidate mean {statistics.mean(sizes):.2f} "
          f"(min {min(sizes)}, max {max(sizes)}); {cap} of {len(ens)} hit the cap "
          f"({100 * cap / len(ens):.0f} %)")
stops = [r.get("details", {}).get("kmc", {}).get("stopping") for r in ok]
stops = [s for s in stops if s]
if stops:
    reps = [n for s in stops for n in s["replicas_per_temperature"]]
    cap = stops[0]["target"]["max_replicas"]
    at_cap = sum(1 for s in stops if any(n >= cap for n in s["replicas_per_temperature"]))
    missed = sum(1 for s in stops if s["target_missed"])
    extended = sum(1 for s in stops if s["rounds"] > 1)
    print(f"averaged model stopping rule (target {stops[0]['target']['rel_se']}, cap {cap} replicas): "
          f"replicas per temperature mean {statistics.mean(reps):.2f}; {extended} of {len(stops)} "
          f"candidates extended ({100 * extended / len(stops):.0f} %), {at_cap} with a temperature "
          f"at the cap ({100 * at_cap / len(stops):.0f} %), {missed} stopped above the target "
          f"({100 * missed / len(stops):.0f} %)")
for k, v in sorted(stage.items()):
    print(f"  stage {k:8s} mean {statistics.mean(v):.3f} s per candidate")
PY
