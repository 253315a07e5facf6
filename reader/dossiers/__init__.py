"""Relationship dossiers (``/relations/<iso>-<iso>/``) and the relationships index.

- ``pairs``: which claims belong to a pair of countries, as of a date;
- ``counts``: the pair's counts per kind and section (a cached public answer);
- ``newest``: the newest items of each section, found by walking the date index;
- ``people``: who the items name, and the posts they held then;
- ``build``: the dossier put together (items, notes, sections): what the page and the API show;
- ``render``: its markup (Jinja2 templates); ``forms``; ``views`` (thin);
- ``index``: the busiest relationships (a cached public answer).
"""
