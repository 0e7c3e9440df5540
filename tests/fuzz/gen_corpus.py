#!/usr/bin/env python3
"""Write seed inputs for gcmap_fuzz_map: random op sequences of every key type.

Usage: gen_corpus.py OUT_DIR [COUNT]

An input is a header byte (key type = byte % 3, universe = 8 << ((byte >> 2) % 8))
and then op bytes; every byte sequence is valid, so random bytes are seeds.
Long seeds matter: libFuzzer grows input lengths slowly from a corpus of short
ones. The repo corpus is these seeds and a fuzz run's inputs, minimised with
-merge=1 (see tests/fuzz/corpus/README.md).
"""
import os
import random
import sys


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 48
    rng = random.Random(13)  # reproducible
    os.makedirs(out, exist_ok=True)
    for n in range(count):
        head = (n % 3) | (rng.randrange(8) << 2)
        body = bytes(rng.randrange(256) for _ in range(rng.choice((16, 48, 128, 384))))
        with open(os.path.join(out, "gen-%03d" % n), "wb") as f:
            f.write(bytes([head]) + body)


if __name__ == "__main__":
    main()
