"""Thin Typer commands: parse options, call the library, render with rich."""
