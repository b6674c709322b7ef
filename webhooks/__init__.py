"""Signed JSON events sent to employers' HTTPS endpoints."""
