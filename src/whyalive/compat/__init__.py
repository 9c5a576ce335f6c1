"""The call shapes of other leak tools, on whyalive's core.

``whyalive.compat.refleak`` takes ``refleak.testing``'s arguments: change
the import and keep the calls.
``whyalive.compat.objgraph`` has objgraph's functions, names, parameters
and defaults: ``import whyalive.compat.objgraph as objgraph``.
``whyalive.compat.referrers`` has referrers' graph functions, its text
tree and its NetworkX graph: ``import whyalive.compat.referrers as
referrers``.
"""
