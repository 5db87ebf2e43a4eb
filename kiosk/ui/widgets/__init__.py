"""Widgets shared by the screens; their rules live in the .kv files beside them."""
