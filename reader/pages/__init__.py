"""Entity pages: countries, organisations, officials, agreements, events and sources.

- ``common``: what every page does alike (capped lists, newest first, dates and sums as
  readers see them, footnotes numbered in page order);
- ``countries``: the country index and a country's page (its rankings: a cached answer);
- ``entities``: organisations, officials, agreements and events;
- ``sources``: a source and every visible claim that cites it.
"""
