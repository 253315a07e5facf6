"""Our URLs (config.urls, unchanged and first) plus the stock timeline and dossier views of
bench/timeline.py and bench/dossier.py, for the load benchmark's "stock" rows (bench/load.py)."""

from django.urls import path

from bench.dossier import stock_dossier, stock_index
from bench.timeline import StockTimelineView
from config.urls import urlpatterns as ours

urlpatterns = [
    *ours,
    path("stock-timeline/", StockTimelineView.as_view()),
    path("stock-relations/", stock_index),
    path("stock-relations/<iso:first>-<iso:second>/", stock_dossier),
]
