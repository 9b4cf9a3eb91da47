"""The browser interface: views, forms, template tags, the 503 middleware, ``/health``, request types.

Thin: forms validate, services write, selectors read; domain errors map to HTTP in ``views.errors``.
"""
