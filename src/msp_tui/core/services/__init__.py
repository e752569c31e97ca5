"""Use cases by area. Each: validate input → check access → change → write events → commit."""
