"""cluster-matcher: complementary, reciprocal and explained partner suggestions for a cluster."""

__version__ = "0.3.0"
