"""The MCP machinery every tool is built with, and nothing about any one resource.

`definition` (what a tool is: its operation, title, annotations, toolset, scope, remote variant), `adapter`
(a definition made into the SDK's `Tool`: arguments strict, schemas lean, every failure a sentence, the user
asked before a destructive change), `catalog` (what `tools/list` shows, committed), `argument_gate` (arguments
checked with our wording), `failures` (API failures as sentences), `confirmation`, `answers` and `budget`
(what a result looks like and how big it may be), `state` (what an operation runs with).
"""
