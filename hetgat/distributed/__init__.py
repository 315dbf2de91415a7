"""Beyond one machine: DGL partitions of a graph for DistDGL
(:mod:`hetgat.distributed.partition`)."""
