"""Relationship dossiers (``/relations/<iso>-<iso>/``) and the relationships index.

- ``pairs``: which claims belong to a pair of countries (took part, or concern it), as of a date;
- ``counts``: the pair's counts per kind and section (a cached public answer);
- ``newest``: the newest items of each section, found by walking the date index, each fact told
  once (an agreement and words inside their event's item);
- ``people``: who the items name, and the posts and memberships their own footnotes state;
- ``notes``: each footnote on the words it backs, numbered by first use;
- ``build``: the dossier put together (items, notes, sections): what the page and the API show;
- ``render``: its markup (Jinja2 templates); ``forms``; ``views`` (thin);
- ``index``: the busiest relationships (a cached public answer).
"""
