"""Reusable widgets: the SQL-paged table, the header line, banners."""
