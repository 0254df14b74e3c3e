"""Servers modelbench starts on 127.0.0.1: the local model and the fake provider."""
