"""Request and response schemas of the API, one module per resource (inputs ``…In``, outputs ``…Out``)."""
