"""YAML corpus for the PyYAML comparison test.

`yaml_corpus.py make SEED OUT` writes a JSON list of YAML texts: fixed
cases for every resolver rule, then random documents built from scalar
tokens that sit on the edges of PyYAML's regexes.
`yaml_corpus.py check CORPUS RESULTS` loads each text with papermill's
NoDatesSafeLoader, turns mapping keys into str(key) (as nbsoar does) and
compares with RESULTS, a JSON list of [true, value] or [false, error]."""
import json
import math
import random
import sys

import yaml


class NoDatesSafeLoader(yaml.SafeLoader):
    yaml_implicit_resolvers = {
        k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


FIXED = [
    "", "~", "null", "Null", "NULL", "nULL", "a:", "a: ~",
    "[yes, Yes, YES, yEs, no, No, NO, true, True, TRUE, tRUE, false, FALSE, on, On, ON, off, Off, OFF, y, n, Y, N]",
    "[0, -0, +0, 00, 017, 018, 08, 0o17, 0x1F, 0x_1f, -0x1F, 0b101, -0b1_0, 0b, 0x, 1_000, +12, -12, 1__2]",
    "[190:20:30, -1:30, 1:60, 1:5:7, 0:30, 12345678901234567890123, -98765432109876543210987654321]",
    "[1:0:0:0:0:0:0:0:0:0:0:0, 0x123456789abcdef0123456789, 0777777777777777777777777777]",
    "[1.5, -1.5, +1.5, 1., .5, -.5, 1e5, 1E5, 1.0e5, 1.0e+5, 1.0E-5, 1.e+5, 1_000.5, 1._, ._5, 1.5_0]",
    "[.inf, .Inf, .INF, -.inf, +.inf, .iNf, .nan, .NaN, .NAN, -.nan, inf, nan, NaN]",
    "[190:20:30.15, 1:5.5, -1:30.0, 1:60.0, 1e400.0, 1.0e+400, -1.0e+400, 4.9e-324, 0.1e-400]",
    "[2019-01-01, 2019-01-01 10:00:00, 12:30, '123', \"true\", ! 123, !!str 123, !!int '42', !!float '1e5']",
    "[!!bool yes, !!null foo, !!int 0o17, !!float .5, !!int '  7 ', !!str]",
    "a: =", "=: 1", "<<: {a: 1}\nb: 2", "a: <<",
    "x: &a {p: 1, q: 2}\ny: &b {p: 3, r: 4}\nz:\n  <<: [*a, *b]\n  q: 9",
    "base: &b {a: 1}\nd:\n  <<: *b\n  <<: {c: 2}\n  a: 3",
    "{1: a, 1.0: b, true: c, ~: d, 2.5: e, false: f, 0: g, -0.0: h}",
    "a: &x [1, 2]\nb: *x\nc: *y",
    "a: &x 1\nb: &x 2",
    "{[1]: 2}", "{{a: 1}: 2}", "- &a [*a]",
    "a: '", "a: [1, 2", "a:\n- b\n c", "--- 1\n--- 2", "--- 1\n...\n",
    "a: \"\\x00\\t\\u00e9\\U0001F600\"", "a: \x01", "key: value # comment", "? complex\n: key",
    "a: !!binary aGVsbG8=", "a: !!set {x}", "a: !!timestamp 2019-01-01", "a: !custom 1",
    "a: !!omap [{b: 1}]", "a: !!map [1]", "a: !!seq {b: 1}", "a: !!str [1]",
    "multi: |\n  line1\n  line2\nfolded: >\n  a\n  b\n", "'quoted key': \"v\"",
    "a: 1" + "0" * 4300, "a: 1" + "0" * 4299, "a: 0x" + "f" * 5000,
    "anchors: &x {a: &y [1, *y2]}",
]

TOKENS = [
    "0", "1", "-1", "+1", "007", "08", "0x1f", "0xg", "0b10", "0b12", "1_0", "_1", "1_", "12:30", "1:2:3",
    "1.5", "1.", ".5", "-.5", "1e5", "1.0e+5", "1.0e5", ".inf", "-.inf", ".nan", "-.nan", "1:30.5",
    "yes", "No", "ON", "oFF", "true", "TRUE", "tRue", "null", "~", "NULL", "nil", "None", "=", "<<",
    "2019-01-01", "2001-12-14t21:59:43.10-05:00", "foo", "foo bar", "'q'", "\"dq\\n\"", "é", "😀",
    "!!str 1", "!!int 10", "!!float 1", "!!bool true", "''", "\"\"", "123456789012345678901234567890",
    "-9223372036854775808", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
    "0.1", "1e-7", "100000000000000000.0", "1.7976931348623157e+308", "1_000_000.000_1",
]


def random_doc(rng, depth=0):
    kind = rng.random()
    if depth > 2 or kind < 0.4:
        return rng.choice(TOKENS)
    if kind < 0.7:
        return "[" + ", ".join(random_doc(rng, depth + 1) for _ in range(rng.randint(0, 4))) + "]"
    items = []
    for _ in range(rng.randint(0, 4)):
        key = rng.choice(TOKENS)
        if key.startswith("!!") or key in ("=",):
            key = "k" + str(rng.randint(0, 9))
        items.append(key + ": " + random_doc(rng, depth + 1))
    return "{" + ", ".join(items) + "}"


def check_storable(v):
    """nbsoar refuses what only !!set, !!omap, !!pairs, !!binary and
    !!timestamp make (sets, tuples, bytes, dates): raise for those."""
    if isinstance(v, dict):
        for k, x in v.items():
            check_storable(k)
            check_storable(x)
    elif isinstance(v, list):
        for x in v:
            check_storable(x)
    elif not isinstance(v, (str, int, float, bool, type(None))):
        raise TypeError(f"{type(v).__name__} is not storable as JSON")


def keys_to_str(v):
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            out[str(k)] = keys_to_str(x)
        return out
    if isinstance(v, list):
        return [keys_to_str(x) for x in v]
    return v


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def main():
    if sys.argv[1] == "make":
        rng = random.Random(int(sys.argv[2]))
        corpus = FIXED + [random_doc(rng) for _ in range(1500)]
        with open(sys.argv[3], "w", encoding="utf-8") as f:
            json.dump(corpus, f)
        return 0
    with open(sys.argv[2], encoding="utf-8") as f:
        corpus = json.load(f)
    with open(sys.argv[3], encoding="utf-8") as f:
        results = json.load(f)
    bad = 0
    for text, (ok, got) in zip(corpus, results):
        try:
            want = yaml.load(text, Loader=NoDatesSafeLoader)
            check_storable(want)
            want = keys_to_str(want)
            json.dumps(want)
        except (yaml.YAMLError, ValueError, TypeError, RecursionError) as e:
            if ok:
                print(f"{text!r}: PyYAML fails ({type(e).__name__}: {e}), nbsoar gives {got!r}")
                bad += 1
            continue
        if not ok:
            print(f"{text!r}: PyYAML gives {want!r}, nbsoar fails: {got}")
            bad += 1
        elif not same(want, got):
            print(f"{text!r}: PyYAML gives {want!r}, nbsoar gives {got!r}")
            bad += 1
    print(f"compared {len(results)} YAML documents, {bad} differences")
    return 1 if bad or len(results) != len(corpus) else 0


sys.exit(main())
