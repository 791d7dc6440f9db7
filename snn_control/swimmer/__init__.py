"""C. elegans swimmer: the NCAP locomotion circuit, rate-based and spiking, and an MLP baseline."""
