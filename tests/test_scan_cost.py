"""Stages outside the classifier that were slower than they need be (issue 13): same answers."""
from __future__ import annotations

import time

from kpiscan.layout import _FOOTER_LABEL, is_footer_row


def test_footer_labels_of_a_one_line_footer():
    # a footer printed as one line of text, as the 湖南 (湘潭) layout prints it (names made up)
    line = "填表人: 王某某 联系电话: 0731-5555 填报日期: 2024年1月"
    assert _FOOTER_LABEL.findall(line) == ["填表人", "联系电话", "填报日期"]
    assert is_footer_row([line])
    assert _FOOTER_LABEL.findall("联系人：x：y") == ["联系人", "x"]
    assert not is_footer_row(["项目实施内容说明：本项目用于全县道路养护"])


def test_a_long_line_without_a_colon_is_read_in_linear_time():
    # a label run is tried once, from its start: a 40,000-character line took minutes when every
    # suffix of the run was tried and given back character by character
    line = "本项目" * 13_000
    t0 = time.process_time()
    assert _FOOTER_LABEL.findall(line) == []
    assert not is_footer_row([line])
    assert time.process_time() - t0 < 1.0
