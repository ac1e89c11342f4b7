# SPDX-License-Identifier: Apache-2.0
"""The parts of scripts/sweep.py (docs/sweep.md), one concern per module:

  registry   the scenario keys as `prisim --list-params` lists them
  grid       --grid / --set / --seeds parsing, checked against the registry
  runner     the runs of a sweep: directories, resume, local parallel runs
  slurm      a Slurm job array instead of local runs
  stats      Student t and Wilson intervals
  target     the small --target language
  merge      results.json files into sweep.csv and points.csv
  recommend  the smallest queue depth meeting the targets; the VT-d rule
  plot       PNG and SVG plots (matplotlib)
"""


class SweepError(Exception):
    """A usage or configuration error: the sweep exits 2 with the message."""
