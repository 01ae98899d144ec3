"""The step player's Python side: where a new payload opens, and the offline Plotly.js copy."""

from __future__ import annotations

import json

import pytest

from ui.player import PLOTLY_FILE, follow, pack, payload_id, unpack, vendor_plotly


def test_a_new_payload_opens_at_the_same_key_else_step_1():
    old = ["linear/a(1)", "activation/h(1)", "grad_W/∇W(2)"]
    new = ["linear/a(1)", "activation/h(1)", "linear/a(2)", "grad_W/∇W(2)"]
    assert follow(old, 3, new) == 4
    assert follow(old, 2, new) == 2
    assert follow(old, 3, ["linear/a(1)"]) == 1
    assert follow(old, 99, new) == 1  # a step the old payload never had


def test_payload_id_depends_on_content_only():
    a = {"steps": [{"key": "x", "areas": {}}], "toggles": []}
    b = {"toggles": [], "steps": [{"areas": {}, "key": "x"}]}
    assert payload_id(a) == payload_id(b)
    assert payload_id(a) != payload_id({"steps": [{"key": "y", "areas": {}}], "toggles": []})


def test_a_packed_payload_is_its_json_with_its_keys_and_id():
    payload = {"steps": [{"key": "a", "header": "∇W(1)"}, {"header": "b"}], "toggles": []}
    packed = pack(payload)
    assert packed.keys == ("a", "2")  # a step without a key is named by its number
    assert json.loads(packed.body) == payload and packed.id == payload_id(payload)
    assert "∇W(1)".encode() in packed.body  # UTF-8, not escaped
    header = json.dumps({"id": packed.id, "step": 2}).encode()
    assert unpack(header + b"\n" + packed.body) == {"id": packed.id, "step": 2} | payload
    with pytest.raises(ValueError, match="at least one step"):
        pack({"steps": []})


def test_plotly_is_copied_when_missing_or_stale_and_old_copies_go(tmp_path):
    source = tmp_path / "plotly.min.js"
    source.write_text("/* plotly.js */" * 100)
    vendor = tmp_path / "static" / "vendor"
    assert vendor_plotly(source, vendor) is None
    copy = vendor / PLOTLY_FILE
    assert copy.read_bytes() == source.read_bytes()
    copy.write_text("half a file")  # stale: another size
    (vendor / "plotly-0.0.1.min.js").write_text("an older version")
    assert vendor_plotly(source, vendor) is None
    assert copy.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in vendor.iterdir()) == [PLOTLY_FILE]


def test_a_folder_that_cannot_be_written_gets_a_clear_message(tmp_path):
    """As on a read-only file system: the copy fails with an OSError, the page says so."""
    source = tmp_path / "plotly.min.js"
    source.write_text("/* plotly.js */")
    blocked = tmp_path / "static"
    blocked.write_text("a file where the folder should be")
    problem = vendor_plotly(source, blocked / "vendor")
    assert problem is not None and "could not copy Plotly.js" in problem and str(source) in problem
