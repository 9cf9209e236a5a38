"""Readers and writers: Parquet World directories, AMLworld's triplet, AMLSim's CSV."""

from graph_schema.formats.amlsim import write_amlsim
from graph_schema.formats.amlworld import write_amlworld
from graph_schema.formats.amlworld_read import read_amlworld
from graph_schema.formats.atomic import atomic_path, write_text_atomic
from graph_schema.formats.parquet import FormatError, write_world
from graph_schema.formats.worlds import read_world, read_world_stub

__all__ = [
    "FormatError",
    "atomic_path",
    "read_amlworld",
    "read_world",
    "read_world_stub",
    "write_amlsim",
    "write_amlworld",
    "write_text_atomic",
    "write_world",
]
