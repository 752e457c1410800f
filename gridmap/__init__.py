"""gridmap: community grid governance and public-safety patrol planning on a web map.

The library holds all domain logic as plain functions over GeoDataFrames and networkx
graphs; the Streamlit pages in ``app_pages/`` only lay out widgets and call into it.
"""

from gridmap._errors import GridmapError, ImportFileError, StoreError, ValidationError

__version__ = "0.1.0"

__all__ = ["GridmapError", "ImportFileError", "StoreError", "ValidationError", "__version__"]
