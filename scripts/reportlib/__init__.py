# SPDX-License-Identifier: Apache-2.0
"""The parts of scripts/report.py (docs/sweep.md, "HTML report"), one
concern per module:

  inputs     what a directory is (a run or a sweep) and reading its files
  html       escaping, tables, the page skeleton and its inline style sheet
  figures    matplotlib figures as inline SVG (deterministic ids and bytes)
  sections   the parts a run page and a sweep page share: the scenario,
             the scoreboard, the summary tables
  run_page   the page of one run
  sweep_page the page of a sweep
"""


class ReportError(Exception):
    """Bad input: the report exits 2 with the message (it names the file)."""
