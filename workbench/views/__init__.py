"""Blueprints of the HTML workbench."""
