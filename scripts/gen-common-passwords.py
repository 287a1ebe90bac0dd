#!/usr/bin/env python3
"""Prints src/auth/common_passwords.txt (one per line, sorted; the build embeds it) from Debian's python3-zxcvbn
(MIT licence): the 10,000 top-ranked passwords, lower-cased, ASCII, at least 4 characters.
Usage: apt-get download python3-zxcvbn && dpkg-deb -x python3-zxcvbn_*.deb x &&
       PYTHONPATH=x/usr/lib/python3/dist-packages scripts/gen-common-passwords.py > src/auth/common_passwords.txt"""
from zxcvbn.frequency_lists import FREQUENCY_LISTS

words = sorted({w.lower() for w in FREQUENCY_LISTS["passwords"][:10000] if w.isascii() and len(w) >= 4})
for w in words:
    print(w)
