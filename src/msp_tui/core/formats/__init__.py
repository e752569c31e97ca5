"""Password-manager file formats: pure readers and writers of the neutral record (records.py is the contract)."""
