"""Moved to :mod:`octoci.progress` (packing shows its progress too, and packing is not Octopus
talk); these names stay importable from here so that existing imports keep working."""

from octoci.progress import REDRAW_SECONDS, Phase, Progress, Transfer, format_duration

__all__ = ["REDRAW_SECONDS", "Phase", "Progress", "Transfer", "format_duration"]
