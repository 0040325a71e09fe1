"""Writes argv[3]: argv[2] random byte strings built from JSON-edge tokens
(seed argv[1]), one per line as "<hex>\t<expected>", where expected is
"ERR" when Python's json.loads (after UTF-8 decoding) refuses the input or
its value cannot be written back as UTF-8, else "OK " followed by
json.dumps(value, ensure_ascii=False)."""
import json
import random
import sys

TOKENS = [
    b"{", b"}", b"[", b"]", b'"', b",", b":", b"\\", b"\\u", b"\\ud800", b"\\udc00", b"\\ud83d\\ude00",
    b"\\u00e9", b"0", b"-", b"1", b".", b"e", b"E", b"+", b"NaN", b"Infinity", b"-Infinity", b"null", b"true",
    b"false", b" ", b"\n", b"\t", b"\r", b"\x0b", b"\xc3\xa9", b"\xff", b"\xe2\x80\xa8", b"\x00", b"\x1f",
    b"a", b'"a"', b"1e400", b"00", b"-0", b"\xef\xbb\xbf", b"\\n", b"\\x", b"\\/", b"12345678901234567890",
    b"5e-324", b"0.1", b"1.5e300", b'"k":', b"\xf0\x9f\x98\x80", b"\xed\xa0\x80",
]

rng = random.Random(int(sys.argv[1]))
with open(sys.argv[3], "w", encoding="utf-8") as out:
    for _ in range(int(sys.argv[2])):
        data = b"".join(rng.choice(TOKENS) for _ in range(rng.randint(0, 10)))
        try:
            value = json.loads(data.decode("utf-8"))
            expected = "OK " + json.dumps(value, ensure_ascii=False)
            expected.encode("utf-8")
        except (ValueError, UnicodeError, RecursionError):
            expected = "ERR"
        out.write(data.hex() + "\t" + expected.replace("\n", "\\n") + "\n")
