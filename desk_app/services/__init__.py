"""Use cases (intake, workflow, queries, accounts, catalogue). They take a Station."""
