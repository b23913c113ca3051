"""Everything the system says to people, in one place per surface (Chinese).

    client.py   what the chat client reads: action replies, channel replies (busy, limits,
                too long), alerts, hand-off messages and the labels a client picks
    staff.py    the agents' console, hand-off reasons and notes, records reports, staff login
    editor.py   the education team's pages: knowledge validation, publishing, insights
    api.py      HTTP and input errors, most of them naming the field at fault (400s)

Plain module-level `str` constants (a few tuples of them) and `str.format` templates
only; no mutable state. No policy figure is written here: a template has a {placeholder}
that the caller fills from core/policy (knowledge/policy.yml), or a `{{ path | fmt }}`
that Policy.render fills. Chinese that is data stays where it is used (keyword lists,
patterns that recognise clients' phrasing, seed data); tests/test_texts.py holds the rule.
"""
