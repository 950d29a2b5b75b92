"""Import and export (:mod:`api.exchange`): the file, its format, and what an import changed."""

from __future__ import annotations

from flask_openapi3 import FileStorage
from pydantic import BaseModel, Field

from .common import FileFormat, QueryModel

__all__ = ["ExportQuery", "ImportOut", "ImportQuery", "UploadForm"]


class UploadForm(BaseModel):
    """A file upload (multipart/form-data, field ``file``)."""

    file: FileStorage


class ImportQuery(QueryModel):
    format: FileFormat | None = Field(
        None, description="File format; read from the file name when not given."
    )


class ImportOut(BaseModel):
    """What an import changed."""

    created: int
    updated: int
    unchanged: int


class ExportQuery(QueryModel):
    format: FileFormat = "csv"
