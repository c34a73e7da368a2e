"""`codeforge serve`: a read-only explorer of the results store in a browser.

FastAPI serves pages rendered on the server from Jinja2 templates; htmx (vendored in static/, nothing is loaded
from outside) fetches the long tables a page at a time. The store is the only data, opened read-only per
request. Every page string goes through Jinja2's i18n extension, so translations plug in later.
"""
