"""The rules, storage and use cases of msp-tui. Never imports Textual."""
