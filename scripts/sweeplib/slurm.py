# SPDX-License-Identifier: Apache-2.0
"""A Slurm job array instead of local runs: DIR/slurm/inputs.txt has one line
per array task (the run's directory, then prisim's command line, as shell
words) and DIR/slurm/sweep.sbatch runs line $SLURM_ARRAY_TASK_ID of it the
way a local sweep runs a point: output in the run's directory, log.txt,
status.json with the exit status. `sweep.py --merge -o DIR` merges what
the array produced."""
import os
import shlex

SCRIPT = """#!/bin/bash
# prisim sweep: one prisim run per array task (docs/sweep.md, "Slurm").
# Task i runs line i of {inputs}: the run's directory, then its command line.
#SBATCH --job-name={name}
#SBATCH --array=1-{n}{throttle}
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --output={logs}/%A_%a.out
{extra}set -u
line=$(sed -n "${{SLURM_ARRAY_TASK_ID}}p" {inputs_q})
if [ -z "$line" ]; then
  echo "sweep: no line $SLURM_ARRAY_TASK_ID in {inputs}" >&2
  exit 2
fi
eval "set -- $line"
dir=$1
shift
mkdir -p "$dir"
rm -f "$dir/status.json" "$dir/results.json"
"$@" >"$dir/log.txt" 2>&1
rc=$?
printf '{{"exit": %d}}\\n' "$rc" >"$dir/status.json.tmp" && mv "$dir/status.json.tmp" "$dir/status.json"
exit "$rc"
"""


def write(sweep_dir, todo, argvs, name="prisim-sweep", throttle=None, sbatch_options=()):
    """Write inputs.txt and sweep.sbatch for `todo` (Runs with their argv);
    return the script's path."""
    sdir = os.path.join(sweep_dir, "slurm")
    logs = os.path.join(sdir, "logs")
    os.makedirs(logs, exist_ok=True)
    inputs = os.path.join(sdir, "inputs.txt")
    with open(inputs, "w") as f:
        for run, argv in zip(todo, argvs):
            f.write(shlex.join([os.path.join(sweep_dir, run.reldir)] + argv) + "\n")
    extra = "".join(f"#SBATCH {o}\n" for o in sbatch_options)
    script = os.path.join(sdir, "sweep.sbatch")
    with open(script, "w") as f:
        f.write(SCRIPT.format(name=name, n=len(todo), throttle=f"%{throttle}" if throttle else "",
                              logs=logs, extra=extra, inputs=inputs, inputs_q=shlex.quote(inputs)))
    os.chmod(script, 0o755)
    return script
