"""The compiled betweenness of the network figures gives networkx's values."""

import networkx as nx
import pytest

from matcher.insights.network import betweenness_centrality


def _scattered() -> nx.Graph:
    """Two groups, a bridge between them, a pair apart and a lone node."""
    graph = nx.les_miserables_graph()
    graph.add_edges_from([("Valjean", "bridge"), ("bridge", "hub")])
    graph.add_edges_from(("hub", f"spoke-{i}") for i in range(5))
    graph.add_edge("a", "b")
    graph.add_node("alone")
    return graph


@pytest.mark.parametrize(
    "graph",
    [_scattered(), nx.karate_club_graph(), nx.path_graph(2), nx.Graph()],
    ids=["scattered", "karate", "two-nodes", "empty"],
)
def test_betweenness_is_networkx_s(graph):
    expected = nx.betweenness_centrality(graph, normalized=True)
    found = betweenness_centrality(graph)
    assert list(found) == list(expected)
    assert found == pytest.approx(expected, abs=1e-12)
