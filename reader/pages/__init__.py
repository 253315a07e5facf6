"""Entity pages: countries, organisations, officials, agreements, events and sources.

- ``common``: what every page does alike (capped lists, newest first, dates and sums as
  readers see them, organisations as lists name them, memberships, footnotes numbered in page
  order);
- ``countries``: the country index and a country's page (its memberships; its rankings: a
  cached answer);
- ``entities``: organisations (their members and memberships), officials, agreements and
  events;
- ``sources``: a source and its footnotes, each with the visible claims it backs.
"""
