"""experiments: configs and runners that produce tables and plots, and the benchmark scripts."""
