"""The street office's journey: where and when incidents concentrate, and what to do.

One module per concern: :mod:`~gridmap.hotspots.density` (KDE rasters),
:mod:`~gridmap.hotspots.local_stats` (Getis-Ord Gi* with FDR),
:mod:`~gridmap.hotspots.trends` (Mann-Kendall, emerging hot spots),
:mod:`~gridmap.hotspots.temporal` (hour × weekday, aoristic),
:mod:`~gridmap.hotspots.repeats` (repeat locations, Knox near-repeat test),
:mod:`~gridmap.hotspots.concentration` (street-segment concentration),
:mod:`~gridmap.hotspots.warnings` (early warnings per grid),
:mod:`~gridmap.hotspots.forecast` (PAI and hit rate),
:mod:`~gridmap.hotspots.requests` (citizen-request SLA),
:mod:`~gridmap.hotspots.report` (the weekly report). Pure functions over GeoDataFrames;
no Streamlit.
"""
