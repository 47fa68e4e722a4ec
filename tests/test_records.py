"""JSON-lines records decoded on demand (faq.records)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from faq.errors import IndexError_
from faq.records import Records, encode, encode_lines, write_lines

ITEMS = [{"t": "đăng ký\ntạm trú"}, {"t": "hộ chiếu"}, {"t": ""}]


def test_records_round_trip_and_decode_only_what_is_read() -> None:
    decoded: list[str] = []

    def decode(value: dict) -> str:
        decoded.append(value["t"])
        return value["t"]

    records = Records(encode(ITEMS), decode, "test", "fix it")
    assert len(records) == 3 and decoded == []  # a newline inside a string does not split a record
    assert records[1] == "hộ chiếu" and records[-1] == "" and decoded == ["hộ chiếu", ""]
    assert records[0] == "đăng ký\ntạm trú" and records[1] == "hộ chiếu" and len(decoded) == 3  # remembered
    assert records[0:2] == ["đăng ký\ntạm trú", "hộ chiếu"] and list(records) == [i["t"] for i in ITEMS]
    assert records == [i["t"] for i in ITEMS]
    with pytest.raises(IndexError):
        records[3]


def test_empty_and_damaged_blobs() -> None:
    assert len(Records(b"", str, "test", "fix it")) == 0
    with pytest.raises(IndexError_, match="not terminated.*fix it"):
        Records(encode(ITEMS)[:-1], str, "test", "fix it")
    broken = Records(b'{"t": 1}\n{oops\n', lambda v: v["t"], "test", "fix it")
    assert broken[0] == 1
    with pytest.raises(IndexError_, match="test: record 2 is inconsistent .*; fix it"):
        broken[1]


def test_stored_record_ends_are_used_and_checked() -> None:
    buf = io.BytesIO()
    ends = write_lines(buf, encode_lines(ITEMS))
    blob = buf.getvalue()
    assert blob == encode(ITEMS) and list(ends) == [i for i, b in enumerate(blob) if b == 0x0A]
    assert list(Records(blob, lambda v: v["t"], "test", "fix it", ends)) == [i["t"] for i in ITEMS]
    assert len(Records(b"", str, "test", "fix it", np.zeros(0, dtype=np.int64))) == 0
    for wrong in ([ends[0] + 1, *ends[1:]], list(ends[:-1]), [ends[1], ends[0], ends[2]], [-1, *ends[1:]]):
        with pytest.raises(IndexError_, match="test: the stored record offsets do not match the file; fix it"):
            Records(blob, str, "test", "fix it", np.array(wrong, dtype=np.int64))
    with pytest.raises(IndexError_, match="offsets do not match"):
        Records(blob, str, "test", "fix it", ends.astype(float))
