"""Sandbox test helpers and the guide curl replay."""
