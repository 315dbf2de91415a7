"""Speed benchmarks of hetgat against stock DGL and PyTorch Geometric."""
