#!/usr/bin/env bash
# Functions called from traps or through check/wait_until look unreachable to shellcheck (SC2317);
# single-quoted '$1' in `bash -c` and `--wrap` is meant for the inner shell (SC2016).
# shellcheck disable=SC2317,SC2016
#
# End-to-end test of halo's Slurm path on a real, private, single-node Slurm.
#
# Usage (as root, e.g. from .ci/run in a fresh clone):
#   scripts/slurm/ci_slurm_test.sh               # the full campaign test
#   scripts/slurm/ci_slurm_test.sh --smoke-only  # only bring Slurm up, run a trivial array, tear down
#
# What it does (docs/cluster.md explains the Slurm path it exercises):
#  1. installs Debian's slurm-wlm and munge if a command is missing (apt-get, no recommends);
#  2. starts munged (as user munge, unless one already answers on the default socket), slurmctld
#     and slurmd for NodeName=localhost, without systemd, with all state/spool/pid/log files in a
#     temporary run directory; records their PIDs and polls `sinfo` until the node is idle;
#  3. runs the workflow once on this machine (`halo run WORKFLOW --out single/`) and computes each
#     candidate's shard with the documented SHA-256 rule;
#  4. emits the Slurm scripts (`halo emit slurm WORKFLOW --shards 4`, into a folder whose path has
#     a space: the #SBATCH log paths and the scripts must quote it), submits them with the
#     generated submit.sh, requeues one shard while it runs with work left (`scontrol requeue`)
#     and cancels another one while it runs with work left (`scancel <array>_<k>`);
#  5. lets the dependent merge job run and checks that it fails and names the cancelled shard
#     (stderr "missing shards: k" and merge-status.json);
#  6. resubmits only that shard (`sbatch --array=k array.sbatch`) plus a merge job, and checks that
#     the merge succeeds, that the merged ranked.csv and ranked.json equal the single-machine ones
#     (cmp), and that each shard recorded exactly its candidates;
#  7. a trap stops exactly the daemons it started, by PID (TERM, wait, then KILL), even on failure.
#
# It never uses `sbatch --wait` (returns late) or sacct (needs slurmdbd): it polls squeue and reads
# finished jobs with `scontrol show job` (MinJobAge is raised so they stay visible).
#
# Environment:
#   HALO_BIN               halo binary to test (default: cargo build --release --locked, target/release/halo)
#   HALO_SLURM_WORKFLOW    workflow file (default: scripts/slurm/slurm-test.toml, 10 candidates of
#                          about 1.5 s CPU each: long enough to requeue and cancel shards mid-run)
#   HALO_SLURM_TIMEOUT_S   timeout of each poll loop in seconds (default 600)
#   HALO_SLURM_KEEP=1      keep the run directory (it is always kept, and its path printed, on failure)
#
# Exit status: 0 when every check passed (or when skipped: not root, or apt cannot install the
# packages; the line "skipped: ..." says why), 1 otherwise. The last line is always
# "slurm test: N passed, M failed" unless skipped.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
SHARDS=4
TIMEOUT_S=${HALO_SLURM_TIMEOUT_S:-600}
WORKFLOW=${HALO_SLURM_WORKFLOW:-$SCRIPT_DIR/slurm-test.toml}
MODE=full
case "${1:-}" in
  "") ;;
  --smoke-only) MODE=smoke ;;
  -h | --help)
    sed -n '/^# End-to-end/,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "error: unknown argument '$1' (use --smoke-only or --help)" >&2
    exit 2
    ;;
esac

if [[ ! $TIMEOUT_S =~ ^[1-9][0-9]*$ ]]; then
  echo "error: HALO_SLURM_TIMEOUT_S='$TIMEOUT_S' is not a whole number of seconds" >&2
  exit 2
fi
if ((BASH_VERSINFO[0] < 5)); then
  echo "error: bash 5 or newer is needed (EPOCHREALTIME); this is bash $BASH_VERSION" >&2
  exit 2
fi

# ---------------------------------------------------------------------------------------------
# Bookkeeping: timings, checks, failure.
T0=${EPOCHREALTIME/./}
PASSED=0
FAILED=0
RUN=""
MUNGED_PID=""
SLURMCTLD_PID=""
SLURMD_PID=""
JOB_IDS=()

# Seconds since start (or since $1, a microsecond stamp), one decimal.
elapsed() {
  local now=${EPOCHREALTIME/./} from=${1:-$T0}
  local d=$((now - from))
  printf '%d.%d' $((d / 1000000)) $(((d % 1000000) / 100000))
}
stamp() { echo "${EPOCHREALTIME/./}"; }
log() { printf '[slurm-test %7ss] %s\n' "$(elapsed)" "$*"; }
timing() { printf '[slurm-test %7ss] timing: %-44s %6s s\n' "$(elapsed)" "$1" "$(elapsed "$2")"; }

pass() {
  PASSED=$((PASSED + 1))
  log "ok   - $*"
}
fail() {
  FAILED=$((FAILED + 1))
  log "FAIL - $*"
}
# check DESCRIPTION COMMAND...: runs the command, counts a pass or a failure, never aborts.
check() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
# A fatal error: count it, print why; the EXIT trap tears down and prints the summary.
die() {
  fail "$*"
  exit 1
}

# ---------------------------------------------------------------------------------------------
# Skips: only when not root, or when apt cannot provide the packages.
if [[ $(id -u) -ne 0 ]]; then
  echo "skipped: the Slurm test needs root (it starts munged, slurmctld and slurmd); uid is $(id -u)"
  exit 0
fi

NEEDED=(munged munge unmunge mungekey slurmctld slurmd sbatch squeue scontrol scancel sinfo setpriv)
missing_commands() {
  local c out=()
  for c in "${NEEDED[@]}"; do command -v "$c" >/dev/null 2>&1 || out+=("$c"); done
  echo "${out[*]}"
}
if [[ -n $(missing_commands) ]]; then
  log "installing slurm-wlm and munge (missing: $(missing_commands))"
  t=$(stamp)
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "skipped: missing $(missing_commands) and there is no apt-get to install slurm-wlm and munge"
    exit 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get update -qq </dev/null ||
    ! apt-get install -y -qq --no-install-recommends slurm-wlm munge </dev/null; then
    echo "skipped: apt-get could not install slurm-wlm and munge"
    exit 0
  fi
  if [[ -n $(missing_commands) ]]; then
    echo "skipped: after installing slurm-wlm and munge these commands are still missing: $(missing_commands)"
    exit 0
  fi
  timing "apt-get install slurm-wlm munge" "$t"
fi
log "$(slurmctld -V), $(munged -V 2>&1 | head -n 1)"

# ---------------------------------------------------------------------------------------------
# Teardown: cancel our jobs, stop exactly the daemons started here, by PID.
stop_pid() { # NAME PID
  local name=$1 pid=$2 i
  [[ -n $pid ]] || return 0
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do # up to 10 s
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) ignored SIGTERM for 10 s: sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  log "stopped $name (pid $pid)"
}

dump_logs() {
  local f
  [[ -n $RUN && -d $RUN ]] || return 0
  for f in "$RUN"/log/*.log "$RUN"/campaign/slurm/logs/* "$RUN"/smoke/*.out; do
    [[ -f $f ]] || continue
    echo "----- tail of $f"
    tail -n 25 "$f" || true
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  local t
  t=$(stamp)
  if [[ $FAILED -gt 0 || $rc -ne 0 ]]; then
    [[ $FAILED -gt 0 ]] || fail "aborted with status $rc"
    dump_logs
  fi
  if [[ -n $SLURMCTLD_PID && ${#JOB_IDS[@]} -gt 0 ]] && kill -0 "$SLURMCTLD_PID" 2>/dev/null; then
    # Our own private cluster: only the jobs submitted by this script exist on it.
    scancel "${JOB_IDS[@]}" 2>/dev/null
    local i
    for ((i = 0; i < 100; i++)); do
      [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break
      sleep 0.2
    done
  fi
  stop_pid slurmd "$SLURMD_PID"
  stop_pid slurmctld "$SLURMCTLD_PID"
  stop_pid munged "$MUNGED_PID"
  [[ -n $SLURMD_PID$SLURMCTLD_PID$MUNGED_PID ]] && timing "teardown" "$t"
  if [[ -n $RUN && -d $RUN ]]; then
    if [[ $FAILED -eq 0 && ${HALO_SLURM_KEEP:-0} != 1 ]]; then
      rm -rf -- "$RUN"
    else
      log "run directory kept: $RUN"
    fi
  fi
  timing "total" "$T0"
  echo "slurm test: $PASSED passed, $FAILED failed"
  if [[ $FAILED -gt 0 ]]; then exit 1; fi
  exit 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_until DESCRIPTION TIMEOUT_S COMMAND...: poll every 0.2 s until COMMAND succeeds, checking
# that the daemons are alive; dies with a clear message on timeout.
wait_until() {
  local what=$1 limit=$2
  shift 2
  local start=${EPOCHREALTIME/./}
  local deadline=$((start + limit * 1000000))
  until "$@"; do
    daemons_alive || die "a daemon died while waiting for $what"
    if ((${EPOCHREALTIME/./} > deadline)); then
      die "timed out after ${limit} s waiting for $what"
    fi
    sleep 0.2
  done
}

daemons_alive() {
  local name pid
  for name in MUNGED_PID SLURMCTLD_PID SLURMD_PID; do
    pid=${!name}
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      log "${name%_PID} (pid $pid) is not running"
      return 1
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# The run directory: configuration, state, spool, logs, campaign outputs.
RUN=$(mktemp -d "${TMPDIR:-/tmp}/halo-slurm.XXXXXX")
chmod 0755 "$RUN"
mkdir -p "$RUN/log" "$RUN/etc" "$RUN/state" "$RUN/spool"
log "run directory $RUN"
NCPU=$(nproc)

# ---------------------------------------------------------------------------------------------
# The halo binary and the workflow (before bring-up: no daemon waits for a build).
if [[ $MODE == full ]]; then
  [[ -f $WORKFLOW ]] || die "workflow $WORKFLOW does not exist (set HALO_SLURM_WORKFLOW)"
  WORKFLOW=$(cd "$(dirname "$WORKFLOW")" && pwd)/$(basename "$WORKFLOW")
  if [[ -n ${HALO_BIN:-} ]]; then
    [[ -x $HALO_BIN ]] || die "HALO_BIN=$HALO_BIN is not an executable file"
    HALO=$(cd "$(dirname "$HALO_BIN")" && pwd)/$(basename "$HALO_BIN")
  else
    command -v cargo >/dev/null 2>&1 || die "HALO_BIN is not set and cargo is not on PATH"
    t=$(stamp)
    log "building halo: cargo build --release --locked"
    (cd "$REPO" && cargo build --release --locked --bin halo </dev/null) || die "cargo build --release --locked failed"
    target_dir=${CARGO_TARGET_DIR:-$REPO/target}
    [[ $target_dir == /* ]] || target_dir=$REPO/$target_dir
    HALO=$target_dir/release/halo
    [[ -x $HALO ]] || die "cargo built, but $HALO is not there"
    timing "cargo build --release" "$t"
  fi
  log "halo binary: $HALO"
  log "workflow: $WORKFLOW"
  for sub in run merge emit; do
    "$HALO" "$sub" --help >/dev/null 2>&1 || die "'$HALO $sub --help' fails: the binary has no '$sub' subcommand"
  done

  # -------------------------------------------------------------------------------------------
  # Reference: the single-machine run.
  t=$(stamp)
  single_rc=0
  "$HALO" run "$WORKFLOW" --out "$RUN/single" --threads "$NCPU" --no-progress \
    >"$RUN/log/single.out" 2>"$RUN/log/single.log" </dev/null || single_rc=$?
  timing "single-machine halo run ($NCPU threads)" "$t"
  if [[ $single_rc -ne 0 && $single_rc -ne 1 ]]; then
    tail -n 20 "$RUN/log/single.log"
    die "single-machine 'halo run' exited with $single_rc (expected 0, or 1 when a candidate failed)"
  fi
  [[ -s $RUN/single/ranked.csv ]] || die "single-machine run wrote no ranked.csv"
  pass "single-machine run: exit $single_rc, $(($(wc -l <"$RUN/single/ranked.csv") - 1)) ranked rows"
fi

# ---------------------------------------------------------------------------------------------
# Bring-up of munged, slurmctld and slurmd.
T_UP=$(stamp)

munge_works() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }
if munge_works; then
  log "munged already answers on the default socket: using it (not started here, not stopped here)"
else
  install -d -o munge -g munge -m 0755 /run/munge
  if [[ ! -f /etc/munge/munge.key ]]; then
    mungekey --create
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  setpriv --reuid=munge --regid=munge --init-groups munged -F >"$RUN/log/munged.log" 2>&1 &
  MUNGED_PID=$!
  log "started munged (pid $MUNGED_PID)"
  wait_until "munged to answer" 20 munge_works
fi

# Ports: the defaults unless something already listens there (another Slurm on this machine).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
CTLD_PORT=6817
while port_busy "$CTLD_PORT" || port_busy $((CTLD_PORT + 1)); do
  CTLD_PORT=$((CTLD_PORT + 2))
  ((CTLD_PORT < 6917)) || die "no free port pair found between 6817 and 6917"
done
SLURMD_PORT=$((CTLD_PORT + 1))

export SLURM_CONF="$RUN/etc/slurm.conf"
cat >"$SLURM_CONF" <<EOF
# Private single-node Slurm written by scripts/slurm/ci_slurm_test.sh (see SLURM.md).
ClusterName=local
SlurmctldHost=localhost
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# A requeued task otherwise waits for its credential to expire (120 s).
AuthInfo=cred_expire=10
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# Finished jobs stay visible to scontrol (no sacct without slurmdbd) for the whole test.
MinJobAge=3600
KillWait=10
StateSaveLocation=$RUN/state
SlurmdSpoolDir=$RUN/spool/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$RUN/log/slurmctld.log
SlurmdLogFile=$RUN/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$NCPU State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -D -f "$SLURM_CONF" >"$RUN/log/slurmctld.stdout" 2>&1 &
SLURMCTLD_PID=$!
log "started slurmctld (pid $SLURMCTLD_PID, port $CTLD_PORT)"
slurmd -D -N localhost -f "$SLURM_CONF" >"$RUN/log/slurmd.stdout" 2>&1 &
SLURMD_PID=$!
log "started slurmd (pid $SLURMD_PID, port $SLURMD_PORT)"
node_idle() { [[ $(sinfo -h -n localhost -o %T 2>/dev/null) == idle ]]; }
wait_until "node localhost to be idle in sinfo" 60 node_idle
timing "bring-up (munged, slurmctld, slurmd idle)" "$T_UP"
pass "single-node Slurm up: $NCPU CPUs, node idle"

# ---------------------------------------------------------------------------------------------
# Job helpers.
job_gone() { [[ -z $(squeue -h -j "$1" -o %i 2>/dev/null) ]]; }
all_gone() {
  local j
  for j in "$@"; do job_gone "$j" || return 1; done
}
# Field of a finished (or live) job from scontrol, e.g. job_field 12 JobState.
job_field() {
  scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
# submit VAR ARGS...: sbatch --parsable ARGS, records the job id (for teardown) and stores it in VAR.
submit() {
  local var=$1 id
  shift
  id=$(sbatch --parsable "$@" </dev/null) || die "sbatch $* failed"
  id=${id%%;*}
  JOB_IDS+=("$id")
  printf -v "$var" '%s' "$id"
}
# Array task states of job $1 as lines "k STATE" (pending tasks are expanded with -r).
array_states() {
  squeue -h -r -j "$1" -o '%K %T' 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------
if [[ $MODE == smoke ]]; then
  T_SMOKE=$(stamp)
  mkdir -p "$RUN/smoke"
  aid="" mid=""
  submit aid --array=0-3 --cpus-per-task=1 --output="$RUN/smoke/task-%a.out" \
    --wrap 'sleep 1; echo "task ${SLURM_ARRAY_TASK_ID} ok"'
  submit mid --dependency="afterany:$aid" --output="$RUN/smoke/merge.out" \
    --wrap "cat $RUN/smoke/task-*.out | grep -c ' ok\$'"
  log "submitted array job $aid and dependent job $mid"
  wait_until "smoke jobs $aid and $mid to leave the queue" "$TIMEOUT_S" all_gone "$aid" "$mid"
  check "smoke: dependent job completed" test "$(job_field "$mid" JobState)" = COMPLETED
  check "smoke: all 4 array tasks wrote their output" test "$(cat "$RUN/smoke/merge.out" 2>/dev/null)" = 4
  timing "smoke array of 4 + dependent job" "$T_SMOKE"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Shard membership of every candidate, from the documented rule (crates/campaign/src/shard.rs):
# shard(id, N) = u64_le(SHA-256("halo-shard-v1\0" ‖ id)[0..8]) mod N. Used to pick shards that
# still have work, and checked against what each shard recorded.
shard_of() { # ID N
  local h lo hi
  h=$(printf 'halo-shard-v1\0%s' "$1" | sha256sum)
  lo=$((16#${h:6:2}${h:4:2}${h:2:2}${h:0:2}))
  hi=$((16#${h:14:2}${h:12:2}${h:10:2}${h:8:2}))
  echo $((((hi % $2) * ((1 << 32) % $2) + lo) % $2))
}
check "shard rule reproduces the golden values of shard.rs (cand-0: 0 of 4, 1 of 7)" \
  test "$(shard_of cand-0 4) $(shard_of cand-0 7)" = "0 1"
# The planned candidates are the "id"s of the "candidates" list, which precedes "rejected".
mapfile -t IDS < <(sed '/"rejected"/q' "$RUN/single/candidates.json" | sed -n 's/^ *"id": *"\([^"]*\)".*/\1/p')
((${#IDS[@]} > 0)) || die "found no candidate ids in $RUN/single/candidates.json"
EXPECTED=()
declare -A MEMBERS=()
for ((k = 0; k < SHARDS; k++)); do EXPECTED[k]=0; done
for id in "${IDS[@]}"; do
  k=$(shard_of "$id" "$SHARDS")
  EXPECTED[k]=$((EXPECTED[k] + 1))
  MEMBERS[$k]+="$id"$'\n'
done
log "${#IDS[@]} planned candidates; per shard: ${EXPECTED[*]}"
busy_shards=0
for ((k = 0; k < SHARDS; k++)); do ((EXPECTED[k] > 0)) && busy_shards=$((busy_shards + 1)); done
((busy_shards >= 2)) || die "the workflow gives work to only $busy_shards of $SHARDS shards: need at least 2 (one to requeue, one to cancel)"

# ---------------------------------------------------------------------------------------------
# Emit and submit.
# a space in the folder: the #SBATCH log paths and the scripts must quote it
CAMP="$RUN/campaign dir"
SL=$CAMP/slurm
"$HALO" emit slurm "$WORKFLOW" --shards "$SHARDS" --out "$CAMP" --cpus-per-task 1 --time 00:30:00 \
  >"$RUN/log/emit.out" 2>&1 </dev/null || {
  cat "$RUN/log/emit.out"
  die "halo emit slurm failed"
}
check "emit wrote array.sbatch, merge.sbatch and submit.sh" \
  test -s "$SL/array.sbatch" -a -s "$SL/merge.sbatch" -a -s "$SL/submit.sh"
check "array.sbatch asks for --array=0-$((SHARDS - 1))" \
  grep -q -e "^#SBATCH --array=0-$((SHARDS - 1))\b" "$SL/array.sbatch"
check "array.sbatch bakes in the shard count and requeues" \
  bash -c 'grep -q "^#SBATCH --requeue" "$1" && grep -q "^SHARDS=$2\$" "$1" && grep -q "^exec " "$1"' _ "$SL/array.sbatch" "$SHARDS"

T_CAMP=$(stamp)
submit_out=$(bash "$SL/submit.sh" </dev/null 2>&1) || {
  echo "$submit_out"
  die "submit.sh failed"
}
log "submit.sh: $submit_out"
if [[ $submit_out =~ array\ job\ ([0-9]+),\ merge\ job\ ([0-9]+) ]]; then
  ARRAY=${BASH_REMATCH[1]}
  MERGE1=${BASH_REMATCH[2]}
  JOB_IDS+=("$ARRAY" "$MERGE1")
else
  die "cannot read the job ids from submit.sh's output: $submit_out"
fi

# Requeue one shard while it runs, then cancel another one while it runs. "While it runs" means
# RUNNING in squeue and fewer records in its checkpoint than candidates in its shard, so that the
# requeue really interrupts work and the cancelled shard really stays incomplete.
recorded() { # K: distinct candidate ids in shard K's checkpoint
  local f=$CAMP/checkpoint.shard-$1-of-$SHARDS.jsonl
  [[ -f $f ]] || {
    echo 0
    return
  }
  grep -o '^{"id":"[^"]*"' "$f" | sort -u | wc -l
}
pick_busy() { # EXCLUDE: a RUNNING task of $ARRAY, not EXCLUDE, whose shard still has work
  local k st
  while read -r k st; do
    [[ $st == RUNNING && $k != "$1" ]] || continue
    if (($(recorded "$k") < EXPECTED[k])); then
      echo "$k"
      return 0
    fi
  done < <(array_states "$ARRAY")
  return 1
}
have_busy() {
  pick_busy "$1" >/dev/null && return 0
  job_gone "$ARRAY" && die "every shard of array $ARRAY ended before one could be requeued or cancelled while running (is the workflow too fast for this test?)"
  return 1
}

REQUEUED="" CANCELLED=""
for attempt in 1 2 3; do
  wait_until "a shard of array $ARRAY to be running with work left" "$TIMEOUT_S" have_busy none
  k=$(pick_busy none) || continue
  if scontrol requeue "${ARRAY}_$k"; then
    REQUEUED=$k
    log "requeued shard $k (${ARRAY}_$k) while running, $(recorded "$k") of ${EXPECTED[k]} recorded"
    break
  fi
  log "scontrol requeue ${ARRAY}_$k failed (attempt $attempt): the task may have just ended"
done
[[ -n $REQUEUED ]] || die "could not requeue a running shard in 3 attempts"
for attempt in 1 2 3; do
  wait_until "another shard of array $ARRAY to be running with work left" "$TIMEOUT_S" have_busy "$REQUEUED"
  k=$(pick_busy "$REQUEUED") || continue
  scancel "${ARRAY}_$k" || true
  wait_until "task ${ARRAY}_$k to leave the queue after scancel" 60 job_gone "${ARRAY}_$k"
  if [[ $(job_field "${ARRAY}_$k" JobState) == CANCELLED ]] && (($(recorded "$k") < EXPECTED[k])); then
    CANCELLED=$k
    log "cancelled shard $k (${ARRAY}_$k) while running, $(recorded "$k") of ${EXPECTED[k]} recorded"
    break
  fi
  log "shard $k finished before scancel took effect (attempt $attempt); trying another shard"
done
[[ -n $CANCELLED ]] || die "could not cancel a running shard before it finished, in 3 attempts (the workflow is too fast for this test?)"

wait_until "array $ARRAY and merge job $MERGE1 to finish" "$TIMEOUT_S" all_gone "$ARRAY" "$MERGE1"
timing "array of $SHARDS (1 requeued, 1 cancelled) + merge" "$T_CAMP"
cp "$SL/logs/merge.err" "$RUN/log/merge1.err" 2>/dev/null || true

check "requeued shard $REQUEUED ran again (restart=1 in its log)" \
  grep -q 'restart=1' "$SL/logs/shard-$REQUEUED.out"
check "cancelled task ${ARRAY}_$CANCELLED is CANCELLED" \
  test "$(job_field "${ARRAY}_$CANCELLED" JobState)" = CANCELLED
state1=$(job_field "$MERGE1" JobState)
exit1=$(job_field "$MERGE1" ExitCode)
log "first merge job $MERGE1: JobState=$state1 ExitCode=$exit1"
check "first merge job failed with exit 3 (incomplete campaign)" test "$exit1" = "3:0"
check "first merge names exactly the cancelled shard on stderr: 'missing shards: $CANCELLED'" \
  grep -Eq "^missing shards: ${CANCELLED}([^0-9,]|\$)" "$RUN/log/merge1.err"
check "merge-status.json has \"missing_shards\": [$CANCELLED]" \
  bash -c 'tr -d "[:space:]" <"$1" | grep -Fq "\"missing_shards\":[$2]"' _ "$CAMP/merge-status.json" "$CANCELLED"
check "no ranked.csv after an incomplete merge" test ! -e "$CAMP/ranked.csv"
"$HALO" status "$CAMP" >"$RUN/log/status1.out" 2>&1 || true
check "halo status names the incomplete shard: 'shards ... $SHARDS: incomplete $CANCELLED'" \
  grep -Eq "^shards +$SHARDS: incomplete $CANCELLED\$" "$RUN/log/status1.out"

# ---------------------------------------------------------------------------------------------
# Resubmit only the missing shard, then merge again.
T_RE=$(stamp)
RESUB="" MERGE2=""
cd "$SL"
submit RESUB --array="$CANCELLED" array.sbatch
submit MERGE2 --dependency="afterany:$RESUB" merge.sbatch
cd "$REPO"
log "resubmitted shard $CANCELLED as job $RESUB, merge job $MERGE2"
wait_until "resubmitted shard $RESUB and merge job $MERGE2 to finish" "$TIMEOUT_S" all_gone "$RESUB" "$MERGE2"
timing "resubmitted shard + merge" "$T_RE"

check "resubmitted shard ${RESUB}_$CANCELLED completed" \
  test "$(job_field "${RESUB}_$CANCELLED" JobState)" = COMPLETED
state2=$(job_field "$MERGE2" JobState)
exit2=$(job_field "$MERGE2" ExitCode)
log "second merge job $MERGE2: JobState=$state2 ExitCode=$exit2"
check "second merge exits like the single-machine run ($single_rc)" test "$exit2" = "$single_rc:0"
"$HALO" status "$CAMP" >"$RUN/log/status2.out" 2>&1 || true
check "halo status: 'shards ... $SHARDS: all complete'" \
  grep -Eq "^shards +$SHARDS: all complete\$" "$RUN/log/status2.out"
check "merged ranked.csv equals the single-machine ranked.csv (cmp)" \
  cmp "$CAMP/ranked.csv" "$RUN/single/ranked.csv"
check "merged ranked.json equals the single-machine ranked.json (cmp)" \
  cmp "$CAMP/ranked.json" "$RUN/single/ranked.json"
check "every shard wrote its own checkpoint" \
  test "$(find "$CAMP" -maxdepth 1 -name "checkpoint.shard-*-of-$SHARDS.jsonl" | wc -l)" -eq "$SHARDS"
members_match() {
  local k got want
  for ((k = 0; k < SHARDS; k++)); do
    got=$(grep -o '^{"id":"[^"]*"' "$CAMP/checkpoint.shard-$k-of-$SHARDS.jsonl" | cut -d'"' -f4 | sort -u)
    want=$(printf '%s' "${MEMBERS[$k]:-}" | sed '/^$/d' | sort -u)
    if [[ $got != "$want" ]]; then
      log "shard $k recorded [${got//$'\n'/ }] but the shard rule gives [${want//$'\n'/ }]"
      return 1
    fi
  done
}
check "each shard recorded exactly its candidates (by the SHA-256 shard rule)" members_match
exit 0
