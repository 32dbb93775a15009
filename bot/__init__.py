"""Chat front ends and the ``sarabun`` command line over one dialogue core."""
