"""The blimp's evolved spiking controllers (Burgers et al. 2023): networks, data, evolution."""
