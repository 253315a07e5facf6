"""bench.urls plus the stock dossier and index of bench/dossier.py, to measure both in one run."""

from django.urls import path

from bench.dossier import stock_dossier, stock_index
from bench.urls import urlpatterns as bench_urlpatterns  # registers the "iso" converter too

urlpatterns = [
    path("stock-relations/", stock_index),
    path("stock-relations/<iso:first>-<iso:second>/", stock_dossier),
    *bench_urlpatterns,
]
