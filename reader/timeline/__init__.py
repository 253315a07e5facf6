"""The public event timeline: visible events, filtered, grouped by year and month, with facets,
a chart, footnotes, keyset pages and streaming exports (CSV, JSON, Atom).

    /timeline/?domain=economic&from=2005&to=2010&country=by&country=ir
    /timeline.csv?...   /timeline.json?...   /timeline.atom?...

- ``request``: the query string as a ``Timeline`` (filter, page position, canonical URLs, words).
  The filter itself is ``relations.filters.TimelineFilter``, shared with the API.
- ``query``: keyset pages on ``(date_lower, id)``, what each event shows, footnotes, headings.
- ``facets``: counts per domain and year (one aggregate query, cached by ``core.cache``), and
  what the chart counts (each event once per year, by its first domain).
- ``chart``: the chart's geometry and words.
- ``exports``: CSV, JSON and Atom.
- ``views``: the page; markup in templates/reader/timeline*.html (Django: layout, form, facets)
  and templates/jinja2/reader/timeline_*.html (Jinja2: events, notes, chart).

What readers may see is ``relations.visibility``'s to say, how dates and links read
``relations.presentation``'s.
"""
