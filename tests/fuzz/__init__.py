"""A seeded corpus of hostile and malformed input files, and what importing each must give."""
