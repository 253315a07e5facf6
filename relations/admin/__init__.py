"""The analysts' workspace. Shared behaviour (history, stale-edit refusal, fast counts, recover
deleted) lives in ``core.admin_base``; the editorial workflow in ``workflow``; each module here
says what its models show:

- ``reference``: countries, domains, organisations, officials, relationships;
- ``claims``: posts, memberships, agreements, statements, events;
- ``citations``: the citation inline every claim has, and citations on their own;
- ``forms``: claim forms (relative dates resolved at entry); ``filters``: list filters;
- ``review``: the editors' review queue, a claim's preview as readers will see it.
"""

from relations.admin import citations, claims, reference, review  # noqa: F401 (registers)
