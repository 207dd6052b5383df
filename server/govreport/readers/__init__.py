"""Readers: one per input format, each turning bytes into the same ir.Document.

Each module has ``read(content: bytes, limits: Limits) -> Document``;
``detect`` tells the format from the bytes. The formats and their readers
are registered in govreport/formats.py, whose ``read`` reads any document.
"""
