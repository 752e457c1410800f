"""The police's journey: guard points, patrol lines, control areas (点守、线巡、面控).

One module per concern: :mod:`~gridmap.patrol.network` (street graphs per travel mode,
snapping to edges), :mod:`~gridmap.patrol.coverage` (1-3-5 minute service areas, gaps),
:mod:`~gridmap.patrol.siting` (maximal covering and set covering post siting),
:mod:`~gridmap.patrol.routing` (patrol routes between posts), :mod:`~gridmap.patrol.postman`
(line patrols covering every street), :mod:`~gridmap.patrol.schedules` (randomised
schedules), :mod:`~gridmap.patrol.tracks` (GPS tracks, planned versus actual),
:mod:`~gridmap.patrol.exports` (GPX, GeoJSON, route sheets). Pure functions; no Streamlit.
"""
