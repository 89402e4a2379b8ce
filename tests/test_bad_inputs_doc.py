"""docs/bad-inputs.md says what kpiscan really does with each bad input (issue 15): a few of its
cases are run again here (bench/bad_inputs.py builds and scans them) and their exit code and
message must be the doc's. Regenerate the doc with `python bench/bad_inputs.py --write
docs/bad-inputs.md` when a message changes on purpose."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bad_inputs", ROOT / "bench" / "bad_inputs.py")
bad_inputs = importlib.util.module_from_spec(_spec)
sys.modules["bad_inputs"] = bad_inputs  # its dataclasses look their module up
_spec.loader.exec_module(bad_inputs)  # type: ignore[union-attr]

DOC = bad_inputs.parse_doc((ROOT / "docs" / "bad-inputs.md").read_text(encoding="utf-8"))
CHECKED = [
    "empty file",
    "binary (NUL bytes, not UTF-16/32)",
    "FIFO (named pipe)",
    "symlink to /dev/zero",
    "UTF-16 with BOM",
    "last character cut in half",
    "table cut off, its 项目名称 starting again",
    "--out locked by another scan",
]


def test_every_case_is_in_the_doc():
    assert [c.name for c in bad_inputs.CASES] == list(DOC)


@pytest.mark.parametrize("name", CHECKED)
def test_the_doc_says_what_the_scan_does(name):
    case = next(c for c in bad_inputs.CASES if c.name == name)
    outcome = bad_inputs.run(case)
    assert (outcome.exit, outcome.message) == DOC[name]
