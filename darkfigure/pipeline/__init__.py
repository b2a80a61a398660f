"""What moves data through the warehouse: intake of returns, linkage, capture
tables and estimate runs.  The CLI and the dashboard call these same functions.
"""
