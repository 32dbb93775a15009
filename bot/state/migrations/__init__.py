"""Schema migrations, one module each: ``<component>_<NNNN>_<what>.py`` with ``up(conn)``.

To add tables for a new part of the bot, add a module with a new component name (or the next
version of your component); never edit one that has shipped. See ``bot/state/migrate.py``.
"""
