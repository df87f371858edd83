"""Rotation of the API keys: Secrets Manager's rotation function for the keys' secret.

Secrets Manager calls it with each of its four steps (service.py does them); the
function is on the app through a blueprint (functions.py). AWS only.
"""
