"""The rotating code: rotation, grace, another training's secret, tampering, typed codes."""
from dataclasses import replace

from tests.helpers import START, unix
from webapp.checkin import codes as qr


def test_code_rotates_with_the_slice(make_training):
    t = make_training(rotation_seconds=10)
    base = unix(START)
    a = qr.current_code(t, "in", base + 1)
    b = qr.current_code(t, "in", base + 9.9)
    c = qr.current_code(t, "in", base + 10)
    assert a == b
    assert c.slice_no == a.slice_no + 1 and c.mac != a.mac
    assert qr.current_code(t, "out", base + 1).mac != a.mac


def test_current_and_previous_slice_only(make_training):
    t = make_training(rotation_seconds=10)
    base = unix(START)
    code = qr.current_code(t, "in", base)
    assert qr.check(t, code, base + 3) == qr.FRESH
    assert qr.check(t, code, base + 12) == qr.FRESH          # previous slice, within grace
    assert qr.check(t, code, base + 10 + qr.GRACE_SECONDS + 1) == qr.STALE  # accepted, flagged
    assert qr.check(t, code, base + 20) == qr.EXPIRED        # two slices on
    assert qr.check(t, code, base - 10) == qr.FUTURE         # a code from the future


def test_another_trainings_secret_is_refused(make_training):
    mine, other = make_training(), make_training(title="另一场")
    code = qr.current_code(other, "in", unix(START))
    assert qr.check(mine, code, unix(START)) == qr.FORGED
    moved = replace(code, subject_id=mine.id)
    assert qr.check(mine, moved, unix(START)) == qr.FORGED


def test_tampering_is_refused(make_training):
    t = make_training()
    code = qr.current_code(t, "in", unix(START))
    flipped = code.mac[:-1] + ("0" if code.mac[-1] != "0" else "1")
    assert qr.check(t, replace(code, mac=flipped), unix(START)) == qr.FORGED
    assert qr.check(t, replace(code, purpose="out"), unix(START)) == qr.FORGED
    assert qr.check(t, replace(code, slice_no=code.slice_no + 1), unix(START) + 10) == qr.FORGED
    static = qr.static_code(t)
    assert qr.check(t, static, unix(START)) == qr.FRESH
    assert not qr.authentic(t.secret, replace(static, slice_no=5))


def test_url_round_trip_and_junk(make_training):
    t = make_training()
    code = qr.current_code(t, "out", unix(START))
    assert qr.parse("https://example.org" + qr.path_of(code)) == code
    assert qr.parse(qr.path_of(code) + "?x=1") == code
    for junk in ("", "hello", "/c/1/in/2/xyz", "/c/1/sideways/2/" + "a" * 16, None):
        assert qr.parse(junk) is None


def test_typed_code_rotates_every_30_seconds(make_training):
    t = make_training()
    base = unix(START) // 30 * 30
    typed = qr.typed_code(t.secret, "in", qr.slice_of(base, 30))
    assert len(typed) == 6 and typed.isdigit()
    assert qr.match_typed(t, typed, base + 29) == "in"
    assert qr.match_typed(t, typed[:3] + " " + typed[3:], base + 35) == "in"   # previous slice
    assert qr.match_typed(t, typed, base + 61) is None
    out = qr.typed_code(t.secret, "out", qr.slice_of(base, 30))
    assert qr.match_typed(t, out, base) == "out"
    assert qr.match_typed(t, "12345", base) is None


def test_projector_javascript_makes_the_same_codes():
    """The projector computes codes in the page; they must be the server's codes."""
    import json
    import shutil
    import subprocess
    from pathlib import Path
    node = shutil.which("node")
    if node is None:
        import pytest
        pytest.skip("node is not installed")
    script = Path(__file__).resolve().parent.parent / "static/js/codes.js"
    secret = "çà-" + "ab12" * 15
    program = (f"const C=require({json.dumps(str(script))});"
               f"console.log(JSON.stringify([C.mac({json.dumps(secret)},'in',177000001),"
               f"C.mac({json.dumps(secret)},'out',5),C.typed({json.dumps(secret)},'in',59000000),"
               f"C.typed({json.dumps(secret)},'out',1)]))")
    out = json.loads(subprocess.run([node, "-e", program], capture_output=True, text=True,
                                    check=True).stdout)
    assert out == [qr.mac(secret, "in", 177000001), qr.mac(secret, "out", 5),
                   qr.typed_code(secret, "in", 59000000), qr.typed_code(secret, "out", 1)]
