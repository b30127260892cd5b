"""The performance suite: each script measures one case and records its figures."""
