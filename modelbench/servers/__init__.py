"""Servers modelbench starts on 127.0.0.1: the local model and the fake provider."""

from modelbench.servers._process import free_port, http_get

__all__ = ["free_port", "http_get"]
