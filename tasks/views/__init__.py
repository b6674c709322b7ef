"""The work loop's pages, one module per audience; each keeps its own urlpatterns."""
