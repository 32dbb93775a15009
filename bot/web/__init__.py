"""The web console of ``sarabun serve`` under ``/admin``: documents, index versions, the questions
report, and trainers' quiz sets, handouts and projector view. Server-rendered Thai pages with
packaged CSS and script (nothing from a CDN); sign-in by one-time links from the bot."""
