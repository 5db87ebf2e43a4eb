"""Package data of the kiosk, installed as ``kiosk.assets``: the gettext catalogs under ``locale/``."""
