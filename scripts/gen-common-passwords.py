#!/usr/bin/env python3
"""Prints the kCommon list of src/auth/common_passwords.cpp from Debian's python3-zxcvbn
(MIT licence): the 10,000 top-ranked passwords, lower-cased, ASCII, at least 4 characters.
Usage: apt-get download python3-zxcvbn && dpkg-deb -x python3-zxcvbn_*.deb x &&
       PYTHONPATH=x/usr/lib/python3/dist-packages scripts/gen-common-passwords.py"""
from zxcvbn.frequency_lists import FREQUENCY_LISTS

words = sorted({w.lower() for w in FREQUENCY_LISTS["passwords"][:10000] if w.isascii() and len(w) >= 4})
for i in range(0, len(words), 6):
    print("    " + " ".join('"%s",' % w.replace("\\", "\\\\").replace('"', '\\"') for w in words[i:i + 6]))
