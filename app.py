"""Chalice's entry point (it must sit at the project root); the app lives in chalice_app."""

from __future__ import annotations

from chalice_app.app import app

__all__ = ["app"]
