"""Keyed fingerprints of leaked records and the matcher that finds them again.

Pure code: no file, network or database access. The caller hands in the secret key,
the leak's table and the text of documents; everything derived from leaked values is
passed through a keyed hash first, so nothing here keeps plaintext.
"""
