"""The optimization lessons on a small CNN trained on scikit-learn's digits, live on a laptop CPU."""
