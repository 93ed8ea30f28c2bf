"""The version of xlmodel: on the ground floor, so that any floor can name it."""

__version__ = "0.1.0"
