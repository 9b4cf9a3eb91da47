"""The static files storage of a real deployment: WhiteNoise's compressed manifest storage, with
the JavaScript modules' ``import … from "./x.js"`` rewritten to hashed names too.

Django's manifest storage rewrites CSS ``url()``s but leaves ES module imports alone unless
``support_js_module_import_aggregation`` is on; without it the chat page's modules (imported by
the hashed entry module) are fetched by their plain names — cached for a minute only, and a
browser could mix two releases' modules after an upgrade.
"""
from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """``CHATMEMORY_STATIC_MANIFEST``'s storage (see the module docstring)."""

    support_js_module_import_aggregation = True
