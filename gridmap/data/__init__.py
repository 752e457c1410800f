"""Package data: the outline of where GCJ-02 applies (see ``tools/build_china_outline.py``)."""
