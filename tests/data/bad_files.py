"""The bad-file corpus, generated (nothing binary is committed): malformed CSV and Parquet
files under odd names, each of which the Data ingest and the Labeling import must refuse
with a message naming the file, storing nothing.

``BAD_FILES`` maps a file name (as a user's upload would carry it) to its bytes.
``REPAIRED`` holds files that are imperfect but readable: they load, with a message.
"""

from __future__ import annotations

import io

import pandas as pd


def _parquet_truncated() -> bytes:
    buf = io.BytesIO()
    pd.DataFrame({"item": range(200), "grade": ["x", "y"] * 100}).to_parquet(buf)
    raw = buf.getvalue()
    return raw[: len(raw) // 2]


BAD_FILES: dict[str, bytes] = {
    "empty.csv": b"",
    "header only.csv": b"item,rater,grade\n",
    "binary.csv": bytes(range(256)) * 64,
    "ragged rows.csv": b"item,rater,grade\n1,ann,x\n2,bob\n3,cy,y,extra,more\n",
    "spaces and \u00fcnic\u00f8de \u540d\u524d.csv": b"item;rater;grade\n",
    "../../etc/escape.csv": b"item,rater,grade\n1,ann\n",
    "![img](http%3A%2F%2Fhost%2Fp.png).csv": b"",
    "huge single line.csv": b"item,note\n1," + b"y" * 3_000_000 + b"\n",
    "truncated.parquet": _parquet_truncated(),
    "only delimiters.csv": b",,,\n,,,\n,,,\n",
    "bom only.csv": b"\xef\xbb\xbf",
    "bom header only.csv": b"\xef\xbb\xbfitem,rater,grade\r\n",
    "blank lines.csv": b"\n\n   \n\n",
    "zip disguised.csv": b"PK\x03\x04" + b"\x00" * 200,
}

REPAIRED: dict[str, bytes] = {
    # UTF-8 and Windows-1252 lines in one file: repaired line by line, same rule in both
    "mixed encodings.csv": "item,rater,label\n1,J\u00fcrgen,gut\n".encode()
    + "2,Ren\u00e9e,tr\u00e8s bien\n3,Zo\u00eb,bien\n".encode("cp1252"),
    "latin1.csv": "item,rater,label\n1,J\u00fcrgen,gut\n2,Ren\u00e9e,bien\n".encode("latin-1"),
    "duplicate columns.csv": b"item,rater,grade,grade\n1,ann,x,y\n2,ann,y,y\n",
}
