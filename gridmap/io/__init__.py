"""Read and write users' files: encodings, column detection, coordinates and rejection reports.

:func:`import_file` turns a user's CSV, Excel workbook, GeoJSON, GeoPackage, zipped
Shapefile or GPX track into a layer of the data model (:mod:`gridmap.schema`) in EPSG:4326. It never
silently drops data: every source row either becomes a feature or appears in
:attr:`ImportResult.rejected` with its row number as the user sees it, a stable reason key
and a message. Problems with the file as a whole (empty, binary, too large, wrong type)
raise :class:`~gridmap._errors.ImportFileError` before anything is returned. Warnings and
errors carry a :class:`~gridmap.i18n.Message`, so the app can show them in Chinese.

Chinese office files come in GBK as often as in UTF-8, name their columns in Chinese, and
carry coordinates in WGS-84, the shifted web-map systems GCJ-02 and BD-09, or a CGCS2000
Gauss-Krüger zone whose surveyors' *X* is the northing; all of that is detected here.
The hot path (a million-row incident CSV) is vectorised: pyarrow parses the text, numpy
masks check the rows, and dates go through one ISO pass before any slower format.

This package's ``__init__`` is its public API; the parts live in private modules small
enough to read on their own: which files are read and how big in :mod:`gridmap.io._files`,
the flow of an import in :mod:`gridmap.io._flow`, text tables in :mod:`gridmap.io._text`, GIS
files in :mod:`gridmap.io._vector`, GPX tracks in :mod:`gridmap.io._gpx`, coordinates and
geometries in :mod:`gridmap.io._geometry`, column roles in :mod:`gridmap.io._columns`, numbers and
coordinates in :mod:`gridmap.io._numbers`, schema values in :mod:`gridmap.io._attributes`,
the rejection ledger in :mod:`gridmap.io._rejections`, date-times in
:mod:`gridmap.io._times` and writing files in :mod:`gridmap.io._export`. Other modules
import from here, not from those.
"""

from gridmap.io._export import (
    EXPORT_FORMATS,
    csv_bytes,
    export_layer,
    neutralise_formulas,
    write_csv,
    write_xlsx,
)
from gridmap.io._files import (
    DEFAULT_MAX_BYTES,
    MAX_UPLOAD_ENV,
    TABLE_FORMATS,
    VECTOR_FORMATS,
    list_parts,
    read_table,
)
from gridmap.io._flow import (
    FAR_OUTSIDE_SHARE,
    REASONS,
    ImportResult,
    detect_columns,
    import_file,
)
from gridmap.io._gpx import GpxPoints, read_gpx
from gridmap.io._suggest import suggest_layer
from gridmap.io._text import Buffer, detect_encoding

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EXPORT_FORMATS",
    "FAR_OUTSIDE_SHARE",
    "MAX_UPLOAD_ENV",
    "REASONS",
    "TABLE_FORMATS",
    "VECTOR_FORMATS",
    "Buffer",
    "GpxPoints",
    "ImportResult",
    "csv_bytes",
    "detect_columns",
    "detect_encoding",
    "export_layer",
    "import_file",
    "list_parts",
    "neutralise_formulas",
    "read_gpx",
    "read_table",
    "suggest_layer",
    "write_csv",
    "write_xlsx",
]
