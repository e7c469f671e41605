"""Unit tests of jitbench.redact: exact values, credential shapes, PII, fingerprints, bundles."""
from __future__ import annotations

import json
import secrets
import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings, strategies as st

from jitbench.redact import (Scrubber, apply_rules, find_bundle_leaks, find_leaks, fingerprint,
                             scrub_notebook)

SECRET = "Ab3-" + secrets.token_urlsafe(14)


def assert_absent(value: str, text: str, where: str = "output") -> None:
    """Fail without printing the value (test output must not carry secrets either)."""
    leaked = value in text
    assert not leaked, f"held value found in {where}"


def test_redact_imports_nothing_of_jitbench():
    code = ("import sys, jitbench.redact; "
            "print(sorted(m for m in sys.modules if m.startswith('jitbench.') and not m.startswith('jitbench.redact')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_held_value_removed_in_every_spelling():
    s = Scrubber({SECRET + "/&\"x"})
    value = SECRET + "/&\"x"
    from urllib.parse import quote
    import html
    text = " | ".join([value, quote(value, safe=""), json.dumps(value), repr(value), html.escape(value)])
    out = s.text(text)
    assert_absent(SECRET, out)
    assert out.count("[REDACTED]") == 5


def test_short_values_are_not_scrubbed():
    assert Scrubber({"pg"}).text("pg is up") == "pg is up"


def test_credential_shapes():
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXBhcnQ"
    # made up here, so that no committed line looks like a live credential to a secret scanner
    vault_token = "hvs." + "CAESIJ" + "0123456789abcdefghijkl"
    aws_key = "AKIA" + "IOSFODNN7" + "EXAMPLE"
    cases = {
        "postgresql://v-token-ro-x:Zz9-aaaabbbbccccdddd@127.0.0.1:5432/shop": "Zz9-aaaabbbbccccdddd",
        "Authorization: Bearer abcdefgh12345678": "abcdefgh12345678",
        f"token {jwt}": jwt,
        f"X {vault_token} done": vault_token,
        "legacy s.abcdefghijklmnopqrstuvwx": "s.abcdefghijklmnopqrstuvwx",
        "root token root-0123456789abcdef": "root-0123456789abcdef",
        f"key {aws_key} here": aws_key,
        'config {"password": "opensesame99"}': "opensesame99",
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG": "wJalrXUtnFEMI/K7MDENG",
    }
    for text, secret in cases.items():
        out = apply_rules(text)
        assert_absent(secret, out)
        assert "[REDACTED]" in out
    # the user name of a DSN is kept: it names who connected
    assert "v-token-ro-x" in apply_rules("postgresql://v-token-ro-x:pw123456@h/db")
    # ordinary text is not touched
    plain = "checkout p99 went from 120ms to 2.3s at 14:02 (trace 4bf92f3577b34da6a3ce929d0e0e4736)"
    assert apply_rules(plain) == plain


def test_pii_masks_are_stable_and_salted():
    a = Scrubber(pii=True, salt=b"one")
    text = "alice@example.com from 10.1.2.3 paid with 4111 1111 1111 1111; alice@example.com again"
    out = a.text(text)
    assert "alice@example.com" not in out and "10.1.2.3" not in out and "4111" not in out
    masks = [w.rstrip(";") for w in out.split() if w.startswith("<email:")]
    assert len(masks) == 2 and masks[0] == masks[1]
    assert Scrubber(pii=True, salt=b"two").text(text) != out
    # a number failing the Luhn check is not a card
    assert "1234 5678 9012 3456" in a.text("order 1234 5678 9012 3456")
    assert Scrubber().text(text) == text  # PII is opt-in


def test_frame_and_notebook_scrubbed_everywhere():
    s = Scrubber({SECRET})
    df = pd.DataFrame({"user": ["a", "b"], "pw": [SECRET, "x"]}, index=[SECRET, "i"])
    out = s.frame(df)
    assert_absent(SECRET, out.to_string(), "frame")
    assert_absent(SECRET, out.to_html(), "frame html")
    nb = {"metadata": {"widgets": {"state": {"m": {"value": SECRET}}}, "papermill": {"parameters": {"p": SECRET}}},
          "cells": [{"cell_type": "code", "source": f"print('{SECRET}')", "metadata": {"tags": [SECRET]},
                     "outputs": [{"output_type": "stream", "text": [SECRET + "\n"]},
                                 {"output_type": "error", "ename": "E", "evalue": SECRET,
                                  "traceback": [f"\x1b[0;31m{SECRET}\x1b[0m"]},
                                 {"output_type": "execute_result",
                                  "data": {"text/html": f"<td>{SECRET}</td>", "image/png": "iVBORw0KGgo="}}]}]}
    clean = scrub_notebook(nb, s)
    assert_absent(SECRET, json.dumps(clean), "notebook")
    assert clean["cells"][0]["outputs"][2]["data"]["image/png"] == "iVBORw0KGgo="


def test_fingerprints_find_glued_and_escaped_values_without_the_value():
    fp = fingerprint([SECRET])
    blob = json.dumps(fp.to_json())
    assert_absent(SECRET, blob)
    assert_absent(SECRET[4:], blob)
    assert find_leaks(f"x=pw{SECRET}end", fp)
    assert find_leaks(f"dsn://u:{SECRET}@h", fp)
    assert not find_leaks("nothing to see here, 2026-11-29T14:02:00Z", fp)


@settings(max_examples=60, deadline=None)
@given(secret=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=8, max_size=30),
       before=st.text(max_size=20), after=st.text(max_size=20))
def test_property_scrubbed_text_never_contains_the_value(secret, before, after):
    assert_absent(secret, Scrubber({secret}).text(before + secret + after))


@settings(max_examples=60, deadline=None)
@given(secret=st.from_regex(r"[A-Za-z0-9\-]{8,24}", fullmatch=True), before=st.text(max_size=20),
       after=st.text(max_size=20))
def test_property_fingerprints_detect_vault_shaped_passwords(secret, before, after):
    assert find_leaks(before + secret + after, fingerprint([secret]))


def test_bundle_verification_checks_every_file_type(tmp_path):
    fp = fingerprint([SECRET])
    (tmp_path / "clean.html").write_text("<p>fine</p>")
    assert find_bundle_leaks(tmp_path, [fp]) == []
    (tmp_path / "report.html").write_text(f"<p>{SECRET.replace('-', '&#45;')}</p>")  # hidden by an entity
    pq.write_table(pa.table({"k": [1], "v": [f"pw:{SECRET}"]}), tmp_path / "evidence.parquet")
    (tmp_path / "run.ipynb").write_text(json.dumps({"cells": [{"source": SECRET}]}))
    leaks = find_bundle_leaks(tmp_path, [fp])
    assert {l.path for l in leaks} == {"report.html", "evidence.parquet", "run.ipynb"}
    assert_absent(SECRET, " ".join(map(str, leaks)), "leak report")
    # exact values held by this process are checked too, without fingerprints
    assert {l.path for l in find_bundle_leaks(tmp_path, held=[SECRET])} >= {"evidence.parquet", "run.ipynb"}
