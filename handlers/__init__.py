"""The Slack surface: one module per surface, each with `register(app)`; `handlers.registry`
wires them all into the Bolt app. Importing this package imports nothing else, so the core
can use `handlers.blocks` without pulling in every handler."""
