"""The benchmark's URLs (bench/urls.py) plus the timeline done the stock way, to measure both in
one run: ``/stock-timeline/`` (see bench/timeline.py)."""

from django.urls import path

from bench.timeline import StockTimelineView
from bench.urls import urlpatterns as bench_urlpatterns

urlpatterns = [
    path("stock-timeline/", StockTimelineView.as_view(), name="stock-timeline"),
    *bench_urlpatterns,
]
